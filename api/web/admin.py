"""The admins' dashboard: jobs (failed and dead first, with their error and log tail; retry,
retry matching, cancel), queue depths, users (find by email, change role) and live sessions.

Reads use the same queries as the admin API (workers.control); changes go through the same
functions in a thread as the API and the `cnt jobs` CLI, behind the same admins_only guard.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import anyio
import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.service import job_filter, run_control
from api.auth import accounts
from api.auth.middleware import admins_only
from api.auth.schemas import RoleIn
from api.auth.tokens import AuthUser
from api.errors import InvalidInput
from api.live.service import listed_for
from api.web.templating import page
from models import JOB_STATUSES, Job, User
from workers import control

ATTENTION = ("failed", "dead")
Form = Body(media_type=RequestEncodingType.URL_ENCODED)


class MatchingForm(msgspec.Struct, kw_only=True):
    status: str = "failed"
    step: str = ""
    content_id: str = ""


class RoleForm(msgspec.Struct, kw_only=True):
    role: str
    email: str = ""


class DisabledForm(msgspec.Struct, kw_only=True):
    disabled: str  # "true" or "false", from the form's button
    email: str = ""


def _back(anchor: str = "", **query: str) -> Redirect:
    """Post/redirect/get: the dashboard again, saying what was done."""
    return Redirect(f"/admin?{urlencode(query)}{anchor}", status_code=303)


async def _jobs(db: AsyncSession, where: control.JobFilter, limit: int = 50) -> list[Job]:
    return list(await db.scalars(control.jobs_query(where, limit=limit)))


class AdminPages(Controller):
    path = "/admin"
    include_in_schema = False
    guards = [admins_only]

    @get("/", name="admin")
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        status: FromQuery[str] = "",
        step: FromQuery[str] = "",
        content_id: FromQuery[str] = "",
        email: FromQuery[str] = "",
        done: FromQuery[str] = "",
    ) -> Template:
        from workers.queues import queue_depths

        where = job_filter(status or None, step or None, content_id or None, None, None)
        attention: list[Job] = []
        if not status:
            for bad in ATTENTION:
                attention += await _jobs(db, msgspec.structs.replace(where, status=bad))
        users: list[User] = []
        if email:
            found = select(User).where(User.email.contains(email.strip().lower())).limit(50)
            users = list(await db.scalars(found))
        return page(
            request,
            "admin.html",
            title="Admin",
            attention=attention,
            jobs=await _jobs(db, where),
            filters={"status": status, "step": step, "content_id": content_id},
            statuses=JOB_STATUSES,
            queues=await anyio.to_thread.run_sync(queue_depths),
            email=email,
            users=users,
            sessions=list(await db.scalars(listed_for(user).limit(20))),
            done=done,
        )

    @post("/jobs/{job_id:str}/retry", name="admin_retry")
    async def retry(self, job_id: FromPath[str]) -> Redirect:
        await run_control(lambda: control.retry_job(job_id))
        return _back(done=f"retried {job_id}")

    @post("/jobs/{job_id:str}/cancel", name="admin_cancel")
    async def cancel(self, job_id: FromPath[str]) -> Redirect:
        await run_control(lambda: control.cancel_job(job_id))
        return _back(done=f"cancelled {job_id}")

    @post("/jobs/retry", name="admin_retry_matching")
    async def retry_matching(self, data: Annotated[MatchingForm, Form]) -> Redirect:
        where = job_filter(
            data.status or None, data.step or None, data.content_id or None, None, None
        )
        retried = await run_control(lambda: control.retry_jobs(where))
        return _back(done=f"retried {len(retried)} jobs")

    @post("/users/{user_id:str}/role", name="admin_role")
    async def role(
        self,
        user_id: FromPath[str],
        data: Annotated[RoleForm, Form],
        db: NamedDependency[AsyncSession],
    ) -> Redirect:
        try:
            role = msgspec.convert({"role": data.role}, RoleIn).role
        except msgspec.ValidationError as exc:
            raise InvalidInput(str(exc)) from None
        account = await accounts.change_role(db, user_id, role)
        await db.commit()
        return _back("#users", email=data.email, done=f"{account.email} is now {role}")

    @post("/users/{user_id:str}/disabled", name="admin_disabled")
    async def disabled(
        self,
        user_id: FromPath[str],
        data: Annotated[DisabledForm, Form],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> Redirect:
        assert user is not None
        account = await accounts.set_disabled(db, user.id, user_id, data.disabled == "true")
        await db.commit()
        state = "disabled" if account.disabled else "enabled"
        return _back("#users", email=data.email, done=f"{account.email} is {state}")
