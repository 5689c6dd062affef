"""Admin endpoints for jobs and queues (admins only), and reprocessing (owners and admins).

Reads run on the request's async session; changes go through `workers.control`, the same code
the `cnt jobs` CLI runs, in a thread (it sends messages and publishes events).
"""

from __future__ import annotations

from datetime import datetime

import anyio
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.schemas import (
    AdminJobDetailOut,
    AdminJobOut,
    JobFilterIn,
    JobPageOut,
    QueuesOut,
    ReprocessOut,
    RetriedOut,
    job_detail_out,
    job_out,
    queue_out,
)
from api.admin.service import job_filter, run_control
from api.auth.middleware import admins_only
from api.auth.tokens import AuthUser
from api.content.service import load_owned_content
from api.errors import InvalidInput, NotFound
from models import Job
from workers import control

MAX_PAGE = 200


class AdminJobsController(Controller):
    path = "/admin"
    tags = ["admin"]
    guards = [admins_only]

    @get("/jobs", summary="Jobs, newest first, filtered by status, step, content and time")
    async def list_jobs(
        self,
        db: NamedDependency[AsyncSession],
        status: FromQuery[str | None] = None,
        step: FromQuery[str | None] = None,
        content_id: FromQuery[str | None] = None,
        queued_after: FromQuery[datetime | None] = None,
        queued_before: FromQuery[datetime | None] = None,
        limit: FromQuery[int] = 50,
        offset: FromQuery[int] = 0,
    ) -> JobPageOut:
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise InvalidInput(f"limit must be 1..{MAX_PAGE} and offset 0 or more")
        where = job_filter(status, step, content_id, queued_after, queued_before)
        rows = (await db.scalars(control.jobs_query(where, limit=limit, offset=offset))).all()
        total = int(await db.scalar(control.count_query(where)) or 0)
        more = offset + len(rows) < total
        return JobPageOut(
            jobs=[job_out(job) for job in rows],
            total=total,
            limit=limit,
            offset=offset,
            next_offset=offset + len(rows) if more else None,
        )

    @get("/jobs/{job_id:str}", summary="One job with its error and the tail of its log")
    async def read_job(
        self, job_id: FromPath[str], db: NamedDependency[AsyncSession]
    ) -> AdminJobDetailOut:
        job = await db.get(Job, job_id)
        if job is None:
            raise NotFound(f"no job {job_id}")
        return job_detail_out(job)

    @post(
        "/jobs/{job_id:str}/retry",
        status_code=202,
        summary="Retry a failed, dead or cancelled step",
    )
    async def retry_job(self, job_id: FromPath[str]) -> AdminJobOut:
        return job_out(await run_control(lambda: control.retry_job(job_id)))

    @post(
        "/jobs/retry", status_code=202, summary="Retry every failed or dead job matching a filter"
    )
    async def retry_jobs(self, data: JSONBody[JobFilterIn]) -> RetriedOut:
        where = job_filter(
            data.status, data.step, data.content_id, data.queued_after, data.queued_before
        )
        retried = await run_control(lambda: control.retry_jobs(where))
        return RetriedOut(retried=retried, count=len(retried))

    @post("/jobs/{job_id:str}/cancel", status_code=202, summary="Cancel a queued or running step")
    async def cancel_job(self, job_id: FromPath[str]) -> AdminJobOut:
        return job_out(await run_control(lambda: control.cancel_job(job_id)))

    @get("/queues", summary="Messages per queue (ready, in flight, delayed, dead) and job counts")
    async def queues(self, db: NamedDependency[AsyncSession]) -> QueuesOut:
        from workers.queues import queue_depths

        depths = await anyio.to_thread.run_sync(queue_depths)
        counts = await db.execute(
            select(Job.queue, Job.status, func.count())
            .where(Job.status.in_(("queued", "running")))
            .group_by(Job.queue, Job.status)
        )
        by_status = {(queue, status): int(n) for queue, status, n in counts.all()}
        return QueuesOut(queues=[queue_out(depth, by_status) for depth in depths])


@post(
    "/content/{content_id:str}/reprocess",
    status_code=202,
    tags=["content"],
    summary="Process the source again",
)
async def reprocess_content(
    content_id: FromPath[str],
    db: NamedDependency[AsyncSession],
    user: NamedDependency[AuthUser | None],
) -> ReprocessOut:
    """A new generation from the same source (owners and admins); the current one stays served."""
    await load_owned_content(db, content_id, user)  # 404 or 403 before anything changes
    await db.rollback()
    generation = await run_control(lambda: control.reprocess_content(content_id))
    return ReprocessOut(id=content_id, status="processing", generation=generation)
