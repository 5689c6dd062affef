"""Job row transitions: every change of a step's state goes through here and is published.

An attempt owns its job by a lease: the row is `running` with that attempt's number. Only the
owner renews the heartbeat or records how the attempt ended; a cancel or a take-over by a
redelivered message ends the lease, and the old attempt learns it on its next beat.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar

import msgspec
from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from models import Job, table_of, utcnow
from workers.db import autocommit, transaction
from workers.errors import JobGone
from workers.pubsub import content_channel, publish

log = logging.getLogger(__name__)

WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"
# How long a transition waits for the database to come back (a PostgreSQL restart takes seconds).
DB_PATIENCE_S = 30.0

T = TypeVar("T")
JOBS = table_of(Job)
# What an event about a job carries, read back by each transition's RETURNING.
_EVENT_COLUMNS = (
    JOBS.c.id,
    JOBS.c.content_id,
    JOBS.c.step,
    JOBS.c.generation,
    JOBS.c.status,
    JOBS.c.progress,
    JOBS.c.attempts,
    JOBS.c.error,
    JOBS.c.chunk,
    JOBS.c.track,
)


class Claim(msgspec.Struct, frozen=True):
    """One attempt's hold on a job: the lease token is (job_id, attempt)."""

    job_id: str
    content_id: str
    step: str
    attempt: int
    max_attempts: int
    chunk: int = 0  # of a chunked step (1, 2, ...); 0 for a whole step
    track: str = ""  # the language an add_audio_track job adds; '' for every other step

    @property
    def attempts_left(self) -> bool:
        return self.attempt < self.max_attempts


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


def job_event(row: Any) -> dict[str, Any]:
    """The event of a job: a Job, or its row read back by RETURNING (`_EVENT_COLUMNS`); a
    chunk's job also says which chunk it is."""
    event = {
        "type": "job",
        "job_id": row.id,
        "step": row.step,
        "generation": row.generation,
        "status": row.status,
        "progress": round(row.progress or 0.0, 4),
        "attempts": row.attempts,
        "error": row.error,
    }
    if row.chunk:
        event["chunk"] = row.chunk
    if row.track:
        event["track"] = row.track
    return event


class ClaimDecision(NamedTuple):
    """What a delivered message finds its job wanting: `run` it, or not; and, when no attempt
    is left, that the job ends dead with a reason."""

    run: bool
    dead_reason: str | None = None
    dead_code: str | None = None


def decide_claim(
    status: str,
    job_message_id: str | None,
    message_id: str,
    attempts: int,
    max_attempts: int,
    error: str | None,
) -> ClaimDecision:
    """A pure decision over the job's row as it is under its lock.

    A message that is not the job's current one (an admin retried or the sweeper re-sent it
    since) is stale. A job found with every attempt used was killed mid-way each time (a crash
    loop the broker's retry count cannot see): it ends `dead` instead of running forever.
    """
    if status not in ("queued", "running"):
        return ClaimDecision(run=False)
    if job_message_id and job_message_id != message_id:
        return ClaimDecision(run=False)
    if attempts >= max_attempts:
        if status == "running":
            reason = f"the worker was lost {attempts} times while running this step"
            return ClaimDecision(run=False, dead_reason=reason, dead_code="worker_lost")
        reason = error or f"no attempts left after {attempts}"
        return ClaimDecision(run=False, dead_reason=reason, dead_code="exhausted")
    return ClaimDecision(run=True)


_LOCK_JOB = (
    select(
        JOBS.c.id,
        JOBS.c.content_id,
        JOBS.c.status,
        JOBS.c.message_id,
        JOBS.c.attempts,
        JOBS.c.max_attempts,
        JOBS.c.error,
    )
    .where(JOBS.c.id == bindparam("job_id"))
    .with_for_update()
)


def claim(job_id: str, message_id: str) -> Claim:
    """Mark a job running for this worker, counting the attempt; raise JobGone for a job that
    needs no run (see `decide_claim`). One transaction: the job's row is locked, decided on,
    and written once."""

    def transition() -> tuple[Claim | None, dict[str, Any] | None, str | None]:
        with transaction() as connection:
            job = connection.execute(_LOCK_JOB, {"job_id": job_id}).first()
            if job is None:
                return None, None, None
            decision = decide_claim(
                job.status, job.message_id, message_id, job.attempts, job.max_attempts, job.error
            )
            if decision.dead_reason is not None:
                values: dict[str, Any] = {
                    "status": "dead",
                    "error": decision.dead_reason,
                    "error_code": decision.dead_code,
                    "finished_at": utcnow(),
                }
            elif decision.run:
                now = utcnow()
                values = {
                    "status": "running",
                    "attempts": job.attempts + 1,
                    "progress": 0.0,
                    "worker": WORKER_NAME,
                    "message_id": message_id,
                    "started_at": now,
                    "heartbeat_at": now,
                    "finished_at": None,
                }
            else:
                return None, None, None
            row = connection.execute(
                update(JOBS).where(JOBS.c.id == job_id).values(**values).returning(*_EVENT_COLUMNS)
            ).one()
        if not decision.run:
            return None, job_event(row), row.content_id
        held = Claim(
            row.id, row.content_id, row.step, row.attempts, job.max_attempts, row.chunk, row.track
        )
        return held, job_event(row), row.content_id

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

    values: dict[str, Any] = {
        "status": status,
        "error": error,
        "error_code": error_code,
        "log_tail": log_tail,
        "heartbeat_at": None,
    }
    if cpu_seconds is not None:
        values["cpu_seconds"] = cpu_seconds
    if media_seconds is not None:
        values["media_seconds"] = media_seconds
    if status == "queued":
        values.update(queued_at=utcnow(), finished_at=None)
    else:
        values["finished_at"] = utcnow()
    held = [JOBS.c.id == job_id, JOBS.c.status == "running"]
    if attempt is not None:
        held.append(JOBS.c.attempts == attempt)
    ended = update(JOBS).where(*held).values(**values).returning(*_EVENT_COLUMNS)

    def transition() -> tuple[dict[str, Any], str] | None:
        with autocommit() as connection:
            row = connection.execute(ended).first()
        return (job_event(row), row.content_id) if row is not None else None

    done = durably(transition)
    if done is None:
        return False
    announce(done[1], done[0])
    return True


_SUCCEED = (
    update(JOBS)
    .where(
        JOBS.c.id == bindparam("job_id"),
        JOBS.c.status == "running",
        JOBS.c.attempts == bindparam("attempt"),
    )
    .values(
        status=bindparam("status"),
        progress=1.0,
        result=bindparam("result"),
        cpu_seconds=bindparam("cpu"),
        media_seconds=bindparam("media"),
        error=bindparam("reason"),
        error_code=None,
        log_tail=None,
        heartbeat_at=None,
        finished_at=bindparam("now"),
    )
    .returning(*_EVENT_COLUMNS)
)


def succeed(
    connection: Connection,
    claim: Claim,
    result: dict[str, Any],
    cpu: float,
    media: float,
    skipped: str = "",
) -> dict[str, Any] | None:
    """Inside the transaction that stores the step's outputs: the job is done (`skipped`, with
    its reason, when the step had nothing to do), if this attempt still holds it. Returns the
    job's event, or None when it was cancelled or taken over."""
    params = {
        "status": "skipped" if skipped else "succeeded",
        "reason": f"skipped: {skipped}" if skipped else None,
        "job_id": claim.job_id,
        "attempt": claim.attempt,
        "result": result,
        "cpu": cpu,
        "media": media,
        "now": utcnow(),
    }
    row = connection.execute(_SUCCEED, params).first()
    return job_event(row) if row is not None else None


_BEAT = update(JOBS).where(
    JOBS.c.id == bindparam("job_id"),
    JOBS.c.status == "running",
    JOBS.c.attempts == bindparam("attempt"),
)


def beat(job_id: str, attempt: int, progress: float | None = None) -> bool:
    """Renew the lease (and the progress); False once the attempt no longer holds the job."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if progress is not None:
        values["progress"] = progress
    with autocommit() as connection:
        renewed = connection.execute(
            _BEAT.values(**values), {"job_id": job_id, "attempt": attempt}
        ).rowcount
    return bool(renewed)


def lapsed_before(lease_s: int) -> datetime:
    return utcnow() - timedelta(seconds=lease_s)
