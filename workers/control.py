"""What an admin does to jobs (list, retry, cancel, reprocess): one implementation for the API
and the CLI, on the blocking database session; each change is published like any other."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import msgspec
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from models import Content, Job, utcnow
from workers import jobs, messages
from workers.db import session_scope
from workers.errors import (
    ContentNotFound,
    ControlError,  # noqa: F401  (callers catch control.ControlError)
    JobNotFound,
    NotCancellable,
    NotReprocessable,
    NotRetryable,
)
from workers.orchestrator import advance_content, send_job, start_generation

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRYABLE = ("failed", "dead", "cancelled")
CANCELLABLE = ("queued", "running")


class JobFilter(msgspec.Struct, kw_only=True, frozen=True):
    status: str | None = None
    step: str | None = None
    content_id: str | None = None
    queued_after: datetime | None = None
    queued_before: datetime | None = None


def filtered(query: Select, where: JobFilter) -> Select:  # type: ignore[type-arg]
    if where.status:
        query = query.where(Job.status == where.status)
    if where.step:
        query = query.where(Job.step == where.step)
    if where.content_id:
        query = query.where(Job.content_id == where.content_id)
    if where.queued_after:
        query = query.where(Job.queued_at >= where.queued_after)
    if where.queued_before:
        query = query.where(Job.queued_at < where.queued_before)
    return query


def jobs_query(where: JobFilter, *, limit: int = 50, offset: int = 0) -> Select:  # type: ignore[type-arg]
    """Newest first (by the time the job last entered its queue)."""
    query = filtered(select(Job), where)
    return query.order_by(Job.queued_at.desc(), Job.id.desc()).limit(limit).offset(offset)


def count_query(where: JobFilter) -> Select:  # type: ignore[type-arg]
    return filtered(select(func.count()).select_from(Job), where)


def list_jobs(where: JobFilter, *, limit: int = 50, offset: int = 0) -> tuple[list[Job], int]:
    with session_scope() as session:
        rows = list(session.scalars(jobs_query(where, limit=limit, offset=offset)))
        total = int(session.scalar(count_query(where)) or 0)
        session.expunge_all()
    return rows, total


def get_job(job_id: str) -> Job:
    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise JobNotFound(f"no job {job_id}")
        session.expunge(job)
    return job


def _locked_job(session: Session, job_id: str) -> Job:
    job = session.scalars(select(Job).where(Job.id == job_id).with_for_update()).first()
    if job is None:
        raise JobNotFound(f"no job {job_id}")
    return job


def retry_job(job_id: str) -> Job:
    """Queue a failed, dead or cancelled step again with a full set of attempts.

    The plan resumes from there: when it succeeds, the orchestrator sends what follows.
    """
    with session_scope() as session:
        job = _locked_job(session, job_id)
        if job.status not in RETRYABLE:
            raise NotRetryable(f"the job is {job.status}; only {', '.join(RETRYABLE)} jobs retry")
        content = session.scalars(
            select(Content).where(Content.id == job.content_id).with_for_update()
        ).one()
        if job.generation != content.generation:
            raise NotRetryable(
                f"the job belongs to generation {job.generation}, replaced by generation "
                f"{content.generation}; reprocess the content instead"
            )
        job.status = "queued"
        job.attempts = 0
        job.progress = 0.0
        job.error = job.error_code = job.log_tail = None
        job.worker = None
        job.started_at = job.finished_at = job.heartbeat_at = None
        job.queued_at = utcnow()
        content_changed = content.status == "failed"
        if content_changed:
            content.status = "processing"
            content.error = None
        session.flush()
        event, content_id, step = jobs.job_event(job), job.content_id, job.step
        session.expunge(job)
    jobs.announce(content_id, event)
    if content_changed:
        jobs.announce(content_id, {"type": "content", "status": "processing"})
    # The job as this retry left it: re-reading it after the send would race the worker that
    # may already be running (or have finished) it.
    job.message_id = _after_commit(f"job {job_id}", lambda: send_job(job_id, step))
    return job


def retry_jobs(where: JobFilter) -> list[str]:
    """Retry every failed or dead job of a current generation matching the filter."""
    statuses = (where.status,) if where.status in RETRYABLE else ("failed", "dead")
    with session_scope() as session:
        query = filtered(select(Job.id), msgspec.structs.replace(where, status=None))
        ids = session.scalars(
            query.join(Content, Content.id == Job.content_id).where(
                Job.status.in_(statuses), Job.generation == Content.generation
            )
        ).all()
    retried = []
    for job_id in ids:
        try:
            retry_job(job_id)
        except NotRetryable:
            continue  # changed meanwhile
        retried.append(job_id)
    return retried


def cancel_job(job_id: str) -> Job:
    """Stop a queued or running step. A running attempt sees it on its next heartbeat (a second)
    and kills its ffmpeg; its content stops too until the step is retried. Cancelling one chunk
    of a chunked encode cancels its other unfinished chunks too: the encode is one step."""
    with session_scope() as session:
        job = _locked_job(session, job_id)
        if job.status not in CANCELLABLE:
            raise NotCancellable(f"the job is {job.status}; only queued or running jobs cancel")
        cancelled = [job, *(_other_chunks(session, job) if job.chunk else [])]
        for each in cancelled:
            each.status = "cancelled"
            each.error, each.error_code = "cancelled by an admin", "cancelled"
            each.finished_at = utcnow()
            each.heartbeat_at = None
        session.flush()
        events, content_id = [jobs.job_event(each) for each in cancelled], job.content_id
    for event in events:
        jobs.announce(content_id, event)
    _after_commit(f"content {content_id}", lambda: advance_content(content_id))
    return get_job(job_id)


def _other_chunks(session: Session, job: Job) -> list[Job]:
    """The unfinished chunks of the same step and generation as `job`, locked."""
    return list(
        session.scalars(
            select(Job)
            .where(
                Job.content_id == job.content_id,
                Job.step == job.step,
                Job.generation == job.generation,
                Job.chunk != 0,
                Job.id != job.id,
                Job.status.in_(CANCELLABLE),
            )
            .order_by(Job.id)
            .with_for_update()
        )
    )


def cancel_generation(session: Session, content: Content) -> list[str]:
    """Cancel the unfinished jobs of a content's older generations (caller commits)."""
    stale = session.scalars(
        select(Job.id).where(
            Job.content_id == content.id,
            Job.generation < content.generation,
            Job.status.in_(CANCELLABLE),
        )
    ).all()
    if stale:
        session.execute(
            update(Job)
            .where(Job.id.in_(stale))
            .values(
                status="cancelled",
                error="replaced by a reprocess",
                error_code="superseded",
                finished_at=utcnow(),
                heartbeat_at=None,
            )
        )
    return list(stale)


def reprocess_content(content_id: str) -> int:
    """Process the content's source again as a new generation; returns the generation."""
    with session_scope() as session:
        content = session.scalars(
            select(Content).where(Content.id == content_id).with_for_update()
        ).first()
        if content is None:
            raise ContentNotFound(f"no content {content_id}")
        # A clip has no source of its own: it is rendered from its parent's.
        whole = content.source_key or (content.kind == "clip" and content.parent_id)
        if not whole or content.status in ("draft", "uploading"):
            raise NotReprocessable("the content has no whole source yet; upload one first")
        start_generation(session, content)  # the live generation stays served meanwhile
        session.flush()
        cancel_generation(session, content)
        generation = content.generation
    jobs.announce(content_id, {"type": "content", "status": "processing"})
    _after_commit(f"content {content_id}", lambda: messages.send("advance", content_id))
    return generation


def _after_commit(what: str, send: Callable[[], T]) -> T | None:
    """Send the message that follows a committed change. With Redis down the change stands and
    the caller is told it succeeded (retrying it would find it made): the sweeper sends a queued
    job whose message Redis lacks, and advances content that has nothing queued."""
    try:
        return send()
    except (RedisConnectionError, RedisTimeoutError) as exc:
        log.warning("the message for %s waits for the sweeper: %s", what, exc)
        return None
