"""The sweeper (run by the clock): no job lost, none running forever.

PostgreSQL is the source of truth and Redis may forget (it runs without persistence, and a
process can die between committing a row and sending its message). Every few seconds:

1. a `running` job whose heartbeat lapsed lost its worker: it is sent again, or is `dead` when
   its attempts are used up;
2. a `queued` job whose message is in no Redis queue (the outbox gap, a Redis restart) is sent
   again; its old message, should it ever surface, is stale and skipped;
3. content `processing` with nothing queued or running gets its plan advanced (a lost
   `advance` message, or a worker that died between finishing a step and advancing the plan).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import msgspec
from sqlalchemy import select

from models import Content, Job, utcnow
from settings import get_settings
from workers import jobs
from workers.db import session_scope
from workers.orchestrator import advance_content, send_job
from workers.queues import pending_message_ids

log = logging.getLogger(__name__)


class SweepReport(msgspec.Struct):
    requeued: list[str] = msgspec.field(default_factory=list)
    dead: list[str] = msgspec.field(default_factory=list)
    resent: list[str] = msgspec.field(default_factory=list)
    advanced: list[str] = msgspec.field(default_factory=list)


def recover_lost_jobs() -> SweepReport:
    """One sweep; idempotent, safe to run from any number of clocks at once."""
    settings = get_settings()
    report = SweepReport()
    _recover_lapsed(settings.job_lease_s, report)
    _resend_missing(settings.job_resend_after_s, report)
    _advance_stalled(settings.job_resend_after_s, report)
    if report.requeued or report.dead or report.resent or report.advanced:
        log.warning("sweeper: %s", msgspec.to_builtins(report))
    return report


def _recover_lapsed(lease_s: int, report: SweepReport) -> None:
    lapsed = jobs.lapsed_before(lease_s)
    with session_scope() as session:
        candidates = session.scalars(
            select(Job.id).where(Job.status == "running", Job.heartbeat_at < lapsed)
        ).all()
    for job_id in candidates:
        with session_scope() as session:
            # SKIP LOCKED: a worker finishing this very job holds the row; leave it to the worker.
            job = session.scalars(
                select(Job).where(Job.id == job_id).with_for_update(skip_locked=True)
            ).first()
            if job is None or job.status != "running" or job.heartbeat_at is None:
                continue
            if job.heartbeat_at >= lapsed:
                continue
            silent = int((utcnow() - job.heartbeat_at).total_seconds())
            reason = f"the worker {job.worker} stopped answering ({silent} s without a heartbeat)"
            if job.attempts >= job.max_attempts:
                job.status, job.error, job.error_code = "dead", reason, "worker_lost"
                job.finished_at = utcnow()
                report.dead.append(job.id)
            else:
                job.status, job.error, job.error_code = "queued", reason, "worker_lost"
                job.worker = None
                report.requeued.append(job.id)
            job.heartbeat_at = None
            session.flush()
            event, content_id, step, status = (
                jobs.job_event(job),
                job.content_id,
                job.step,
                job.status,
            )
        jobs.announce(content_id, event)
        if status == "queued":
            send_job(job_id, step)
        else:
            advance_content(content_id)


def _resend_missing(after_s: int, report: SweepReport) -> None:
    sent_before = utcnow() - timedelta(seconds=after_s)
    with session_scope() as session:
        candidates = session.execute(
            select(Job.id, Job.message_id).where(
                Job.status == "queued", Job.queued_at < sent_before
            )
        ).all()
    if not candidates:
        return
    # Read Redis after the rows: a message sent meanwhile belongs to a row read above or newer.
    pending = pending_message_ids()
    for job_id, message_id in candidates:
        if message_id and message_id in pending:
            continue
        with session_scope() as session:
            job = session.scalars(
                select(Job).where(Job.id == job_id).with_for_update(skip_locked=True)
            ).first()
            if job is None or job.status != "queued" or job.message_id != message_id:
                continue  # claimed, cancelled or re-sent meanwhile
            step = job.step
        send_job(job_id, step)
        report.resent.append(job_id)


def _advance_stalled(after_s: int, report: SweepReport) -> None:
    quiet_since = utcnow() - timedelta(seconds=after_s)
    active = (
        select(Job.id)
        .where(
            Job.content_id == Content.id,
            Job.generation == Content.generation,
            Job.status.in_(("queued", "running")),
        )
        .exists()
    )
    with session_scope() as session:
        stalled = session.scalars(
            select(Content.id).where(
                Content.status == "processing", Content.updated_at < quiet_since, ~active
            )
        ).all()
    for content_id in stalled:
        sent = advance_content(content_id)
        if sent:
            report.advanced.append(content_id)
