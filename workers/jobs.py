"""Job row transitions: every change of a step's state goes through here and is published."""

from __future__ import annotations

import socket
import os
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from models import Job, utcnow
from workers.db import session_scope
from workers.events import content_channel, publish

WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"


class JobGone(Exception):
    """The job's row no longer wants running (finished, cancelled, dead, or deleted)."""


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


def claim(job_id: str, message_id: str) -> Job:
    """Mark a job running for this worker, counting the attempt; refuse one that is done.

    A job found `running` with every attempt used was killed mid-way each time (a crash loop the
    broker's retry count cannot see): it ends `dead` here instead of running forever.
    """
    with session_scope() as session:
        job = session.scalars(select(Job).where(Job.id == job_id).with_for_update()).first()
        if job is None or job.status in ("succeeded", "cancelled", "dead", "failed"):
            raise JobGone(job_id)
        if job.status == "running" and job.attempts >= job.max_attempts:
            job.status = "dead"
            job.error = job.error or f"the worker died {job.attempts} times while running this step"
            job.error_code = "worker_lost"
            job.finished_at = utcnow()
            session.flush()
            event = job_event(job)
            content_id = job.content_id
            dead = True
        else:
            dead = False
            job.status = "running"
            job.attempts += 1
            job.progress = 0.0
            job.worker = WORKER_NAME
            job.message_id = message_id
            job.started_at = job.heartbeat_at = utcnow()
            job.finished_at = None
            session.flush()
            event = job_event(job)
            content_id = job.content_id
        session.expunge(job)
    publish(content_channel(content_id), event)
    if dead:
        raise JobGone(job_id)
    return job


def finish(
    job_id: str,
    status: str,
    *,
    error: str | None = None,
    error_code: str | None = None,
    log_tail: str | None = None,
    result: dict[str, Any] | None = None,
    cpu_seconds: float | None = None,
    media_seconds: float | None = None,
) -> Job | None:
    """Record how an attempt ended. `queued` means a retry is scheduled."""
    with session_scope() as session:
        job = session.scalars(select(Job).where(Job.id == job_id).with_for_update()).first()
        if job is None:
            return None
        if job.status == "cancelled":
            session.expunge(job)
            return job
        job.status = status
        job.error = error
        job.error_code = error_code
        job.log_tail = log_tail
        if status == "succeeded":
            job.progress = 1.0
            job.result = result
        if cpu_seconds is not None:
            job.cpu_seconds = cpu_seconds
        if media_seconds is not None:
            job.media_seconds = media_seconds
        job.finished_at = None if status == "queued" else utcnow()
        session.flush()
        event = job_event(job)
        session.expunge(job)
    publish(content_channel(job.content_id), event)
    return job


def beat(job_id: str, progress: float | None = None) -> bool:
    """Renew the job's lease (and its progress); False when the job was cancelled meanwhile."""
    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None or job.status == "cancelled":
            return False
        job.heartbeat_at = utcnow()
        if progress is not None:
            job.progress = progress
        event = job_event(job) if progress is not None else None
        content_id = job.content_id
    if event:
        publish(content_channel(content_id), event)
    return True


def lapsed_before(lease_s: int) -> Any:
    return utcnow() - timedelta(seconds=lease_s)
