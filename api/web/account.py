"""Signing in and out on the pages, with the API's accounts and password check
(api.auth.service.authenticate) and the API's sign-in limits (api/auth/login_limits.py: failures
per account and per address, so a congregation signing in from the church's one address is not
refused while a guessed account is locked)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.login_limits import LoginLimits
from api.auth.service import authenticate
from api.auth.tokens import AuthUser
from api.errors import RateLimited, Unauthorized
from api.web.session import sign_in, sign_out
from api.web.templating import page
from settings import Settings


class LoginForm(msgspec.Struct, kw_only=True):
    email: str = ""
    password: str = ""
    next: str = "/"


def safe_next(target: str) -> str:
    """Only a path on this site: never `//host` or `https://host` (an open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


class AccountPages(Controller):
    include_in_schema = False

    @get("/login", name="login")
    async def login_form(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[AuthUser | None],
        next: FromQuery[str] = "/",
    ) -> Template | Redirect:
        if user is not None:
            return Redirect(safe_next(next))
        return page(request, "login.html", title="Sign in", next=safe_next(next), email="")

    @post("/login", name="login_submit")
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        db: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> Template | Redirect:
        address = request.client.host if request.client else "unknown"
        limits = LoginLimits(request.app.state.redis, settings, address)
        try:
            await limits.check(data.email)
            account = await authenticate(db, data.email, data.password)
        except (Unauthorized, RateLimited) as exc:
            if isinstance(exc, Unauthorized):
                await limits.failed(data.email)
            return page(
                request, "login.html", exc.status_code, title="Sign in", next=safe_next(data.next),
                email=data.email, problem=exc.detail,
            )  # fmt: skip
        sign_in(request, account)
        return Redirect(safe_next(data.next), status_code=303)

    @post("/logout", name="logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        sign_out(request)
        return Redirect("/", status_code=303)
