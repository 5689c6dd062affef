"""What the admin API returns about jobs and queues."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from models import Job
from workers.queues import QueueDepth


class AdminJobOut(msgspec.Struct, kw_only=True):
    id: str
    content_id: str
    step: str
    generation: int
    queue: str
    status: str
    attempts: int
    max_attempts: int
    progress: float
    error: str | None
    error_code: str | None
    worker: str | None
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    cpu_seconds: float | None
    media_seconds: float | None
    # The language of the track an add_audio_track job adds; '' for every other step.
    track: str = ""
    # A long video's encode runs as chunks (1, 2, ...) joined by the step's whole job (0).
    chunk: int = 0


class AdminJobDetailOut(AdminJobOut, kw_only=True):
    log_tail: str | None
    message_id: str | None


class JobPageOut(msgspec.Struct, kw_only=True):
    jobs: list[AdminJobOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class RetriedOut(msgspec.Struct, kw_only=True):
    retried: list[str]
    count: int


class JobFilterIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: str | None = None
    step: str | None = None
    content_id: str | None = None
    queued_after: datetime | None = None
    queued_before: datetime | None = None


class QueueOut(msgspec.Struct, kw_only=True):
    queue: str
    ready: int
    in_flight: int
    delayed: int
    dead_letters: int
    jobs_queued: int
    jobs_running: int


class QueuesOut(msgspec.Struct, kw_only=True):
    queues: list[QueueOut]


class ReprocessOut(msgspec.Struct, kw_only=True):
    id: str
    status: str
    generation: int


def job_out(job: Job) -> AdminJobOut:
    return AdminJobOut(**_fields(job))


def job_detail_out(job: Job) -> AdminJobDetailOut:
    return AdminJobDetailOut(**_fields(job), log_tail=job.log_tail, message_id=job.message_id)


def _fields(job: Job) -> dict[str, Any]:
    # Any, as getattr gives: each value is the Job column named like the field, of its type.
    return {name: getattr(job, name) for name in AdminJobOut.__struct_fields__}


def queue_out(depth: QueueDepth, by_status: dict[tuple[str, str], int]) -> QueueOut:
    return QueueOut(
        queue=depth.queue,
        ready=depth.ready,
        in_flight=depth.in_flight,
        delayed=depth.delayed,
        dead_letters=depth.dead_letters,
        jobs_queued=by_status.get((depth.queue, "queued"), 0),
        jobs_running=by_status.get((depth.queue, "running"), 0),
    )
