"""Job row transitions: every change of a step's state goes through here and is published.

An attempt owns its job by a lease: the row is `running` with that attempt's number. Only the
owner renews the heartbeat or records how the attempt ended; a cancel or a take-over by a
redelivered message ends the lease, and the old attempt learns it on its next beat.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import msgspec
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from models import Job, utcnow
from workers.db import session_scope
from workers.events import content_channel, publish

log = logging.getLogger(__name__)

WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"
# How long a transition waits for the database to come back (a PostgreSQL restart takes seconds).
DB_PATIENCE_S = 30.0

T = TypeVar("T")


class JobGone(Exception):
    """The job's row no longer wants this message run (finished, cancelled, dead, superseded)."""


class Claim(msgspec.Struct, frozen=True):
    """One attempt's hold on a job: the lease token is (job_id, attempt)."""

    job_id: str
    content_id: str
    step: str
    attempt: int
    max_attempts: int

    @property
    def attempts_left(self) -> bool:
        return self.attempt < self.max_attempts


_local = threading.local()


def current_claim() -> Claim | None:
    """The claim of the step running on this worker thread (set by the JobTracking middleware)."""
    return getattr(_local, "claim", None)


def set_current_claim(claim: Claim | None) -> None:
    _local.claim = claim


def _lost_connection(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def durably(fn: Callable[[], T], patience_s: float = DB_PATIENCE_S) -> T:
    """Run a database transition, waiting out a lost connection (a restart) for a while.

    Each call of `fn` is one whole transaction, so running it again after a failure is safe.
    """
    deadline = time.monotonic() + patience_s
    pause = 0.25
    while True:
        try:
            return fn()
        except Exception as exc:
            if not _lost_connection(exc) or time.monotonic() + pause > deadline:
                raise
            log.warning(
                "database unavailable (%s); trying again in %.2f s", type(exc).__name__, pause
            )
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def announce(content_id: str, event: dict[str, Any]) -> None:
    """Publish an event; never let a Redis hiccup break a transition (the row is the truth)."""
    try:
        publish(content_channel(content_id), event)
    except Exception:
        log.warning("could not publish %s event for content %s", event.get("type"), content_id)


def job_event(job: Job) -> dict[str, Any]:
    return {
        "type": "job",
        "job_id": job.id,
        "step": job.step,
        "generation": job.generation,
        "status": job.status,
        "progress": round(job.progress or 0.0, 4),
        "attempts": job.attempts,
        "error": job.error,
    }


def _mark_dead(job: Job, reason: str, code: str) -> None:
    job.status = "dead"
    job.error = reason
    job.error_code = code
    job.finished_at = utcnow()


def claim(job_id: str, message_id: str) -> Claim:
    """Mark a job running for this worker, counting the attempt; refuse one that needs no run.

    A message that is not the job's current one (an admin retried or the sweeper re-sent it
    since) is stale. A job found with every attempt used was killed mid-way each time (a crash
    loop the broker's retry count cannot see): it ends `dead` here instead of running forever.
    """

    def transition() -> tuple[Claim | None, dict[str, Any] | None, str | None]:
        with session_scope() as session:
            job = session.scalars(select(Job).where(Job.id == job_id).with_for_update()).first()
            if job is None or job.status in ("succeeded", "cancelled", "dead", "failed"):
                return None, None, None
            if job.message_id and job.message_id != message_id:
                return None, None, None
            if job.attempts >= job.max_attempts:
                if job.status == "running":
                    reason = f"the worker was lost {job.attempts} times while running this step"
                else:
                    reason = job.error or f"no attempts left after {job.attempts}"
                _mark_dead(job, reason, "worker_lost" if job.status == "running" else "exhausted")
                session.flush()
                return None, job_event(job), job.content_id
            job.status = "running"
            job.attempts += 1
            job.progress = 0.0
            job.worker = WORKER_NAME
            job.message_id = message_id
            job.started_at = job.heartbeat_at = utcnow()
            job.finished_at = None
            session.flush()
            held = Claim(job.id, job.content_id, job.step, job.attempts, job.max_attempts)
            return held, job_event(job), job.content_id

    held, event, content_id = durably(transition)
    if event is not None and content_id is not None:
        announce(content_id, event)
    if held is None:
        raise JobGone(job_id)
    return held


def finish(
    job_id: str,
    status: str,
    *,
    attempt: int | None = None,
    error: str | None = None,
    error_code: str | None = None,
    log_tail: str | None = None,
    cpu_seconds: float | None = None,
    media_seconds: float | None = None,
) -> bool:
    """Record how an attempt ended (`queued` means a retry is scheduled).

    Only the lease holder writes: when the job was cancelled or another attempt took it over,
    this changes nothing and returns False.
    """

    def transition() -> tuple[dict[str, Any], str] | None:
        with session_scope() as session:
            job = session.scalars(select(Job).where(Job.id == job_id).with_for_update()).first()
            if job is None or job.status != "running":
                return None
            if attempt is not None and job.attempts != attempt:
                return None
            job.status = status
            job.error = error
            job.error_code = error_code
            job.log_tail = log_tail
            if cpu_seconds is not None:
                job.cpu_seconds = cpu_seconds
            if media_seconds is not None:
                job.media_seconds = media_seconds
            job.heartbeat_at = None
            if status == "queued":
                job.queued_at = utcnow()
                job.finished_at = None
            else:
                job.finished_at = utcnow()
            session.flush()
            return job_event(job), job.content_id

    done = durably(transition)
    if done is None:
        return False
    announce(done[1], done[0])
    return True


def mark_succeeded(
    session: Any, job: Job, result: dict[str, Any], cpu: float, media: float
) -> None:
    """Inside the transaction that stored the step's outputs: the job is done."""
    job.status = "succeeded"
    job.progress = 1.0
    job.result = result
    job.cpu_seconds = cpu
    job.media_seconds = media
    job.error = job.error_code = job.log_tail = None
    job.heartbeat_at = None
    job.finished_at = utcnow()
    session.flush()


def beat(job_id: str, attempt: int, progress: float | None = None) -> bool:
    """Renew the lease (and the progress); False once the attempt no longer holds the job."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if progress is not None:
        values["progress"] = progress
    with session_scope() as session:
        renewed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "running", Job.attempts == attempt)
            .values(**values)
        ).rowcount
    return bool(renewed)


def lapsed_before(lease_s: int) -> datetime:
    return utcnow() - timedelta(seconds=lease_s)
