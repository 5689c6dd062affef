"""Signing in on the pages: a signed, encrypted session cookie holding the account's id, and the
CSRF check on every form.

The cookie holds only the id. Each request reads the account (a primary-key lookup), so a
changed role or a deleted account takes effect on the next page, and the user the pages see is
the API's own `AuthUser`, put where the API's guards look for it (`scope["user"]`): the same
`creators_only`, `admins_only`, `visible_to` and `can_change` decide on a page as on the API.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.middleware import ASGIMiddleware, DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.types import ASGIApp, Receive, Scope, Send

from api.auth.service import auth_user
from models import User
from settings import Settings

SESSION_COOKIE = "cnt_session"
CSRF_COOKIE = "cnt_csrf"
SESSION_DAYS = 14


def _key(settings: Settings, purpose: str) -> bytes:
    """A 32-byte key of its own for each use, derived from JWT_SECRET (one secret to keep)."""
    return hashlib.sha256(f"cnt-web:{purpose}:{settings.jwt_secret}".encode()).digest()


def _secure(settings: Settings) -> bool:
    return settings.public_base_url.startswith("https://")


def session_config(settings: Settings) -> CookieBackendConfig:
    return CookieBackendConfig(
        secret=_key(settings, "session"),
        key=SESSION_COOKIE,
        max_age=SESSION_DAYS * 86_400,
        httponly=True,
        samesite="lax",
        secure=_secure(settings),
    )


def csrf_config(settings: Settings) -> CSRFConfig:
    """Only the pages' router runs this check: the JSON API takes bearer tokens, which a
    browser never sends by itself, and /cdn and /static take no forms."""
    return CSRFConfig(
        secret=_key(settings, "csrf").hex(),
        cookie_name=CSRF_COOKIE,
        cookie_secure=_secure(settings),
        cookie_samesite="lax",
        cookie_httponly=True,
        header_name="x-csrftoken",
    )


class SessionUser(ASGIMiddleware):
    """Puts the signed-in account of the session on the request, as the bearer middleware does
    for an access token (a request that brought a token keeps it)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        session = scope.get("session")
        user_id = session.get("uid") if isinstance(session, dict) else None
        if scope.get("user") is None and user_id:
            sessions = scope["litestar_app"].state.db_sessions
            async with sessions() as db:
                account = await db.get(User, user_id)
            if account is None:
                scope["session"] = {}  # the account is gone: so is the sign-in
            else:
                scope["user"] = auth_user(account)
        await next_app(scope, receive, send)


def sign_in(connection: ASGIConnection[Any, Any, Any, Any], user: User) -> None:
    connection.set_session({"uid": user.id})


def sign_out(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    connection.clear_session()


class _Shared(DefineMiddleware):
    """A middleware definition the router shares instead of copying: Litestar deep-copies a
    router's middleware when it registers it, and the session backend's AES-GCM key cannot be."""

    __slots__ = ()

    def __deepcopy__(self, memo: dict[int, Any]) -> _Shared:
        return self


def page_middleware(settings: Settings) -> list[Any]:
    """Session first (it decodes the cookie), then the account, then the CSRF check."""
    sessions = session_config(settings).middleware
    return [
        _Shared(sessions.middleware, *sessions.args, **sessions.kwargs),
        SessionUser(),
        DefineMiddleware(CSRFMiddleware, config=csrf_config(settings)),
    ]
