"""Who is calling: a bearer access token when there is one, anonymous otherwise."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import select

from api.auth.role_cache import RoleCache, Standing
from api.auth.tokens import AuthUser, read_access_token
from api.errors import Forbidden, Unauthorized
from models import User
from settings import get_settings

DISABLED = "the account is disabled; ask an admin of the platform"


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """Anonymous callers pass through (public routes serve them); a bad token is a 401."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        token = ""
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise Unauthorized(
                    "use an Authorization header of the form 'Bearer <access token>'"
                )
        elif connection.scope["type"] == "websocket":
            # Browsers cannot set headers on a WebSocket: they pass the token as a query parameter.
            token = connection.query_params.get("token", "")
        if not token:
            return AuthenticationResult(user=None, auth=None)
        user = read_access_token(get_settings(), token.strip())
        return AuthenticationResult(user=await _as_it_is_now(connection, user), auth=token)


async def _as_it_is_now(connection: ASGIConnection[Any, Any, Any, Any], user: AuthUser) -> AuthUser:
    """The token says who is calling; the database says what they may do now. A demoted,
    disabled or deleted account must not keep its old powers for the rest of its token's 15
    minutes: the row is read once and then kept in the process's RoleCache, which every change
    to it drops (api/auth/role_cache.py); anonymous requests, the busiest, skip all this."""
    roles: RoleCache | None = getattr(connection.app.state, "role_cache", None)
    standing = roles.get(user.id) if roles is not None else None
    if standing is None:
        generation = roles.generation if roles is not None else 0
        async with connection.app.state.db_sessions() as session:
            row = (
                await session.execute(select(User.role, User.disabled).where(User.id == user.id))
            ).first()
        if row is None:
            raise Unauthorized("the account no longer exists; sign in again")
        standing = Standing((row[0], row[1]))
        if roles is not None:
            roles.put(user.id, generation, standing.role, standing.disabled)
    if standing.disabled:
        raise Unauthorized(DISABLED)
    if standing.role == user.role:
        return user
    return msgspec.structs.replace(user, role=standing.role)  # type: ignore[arg-type]


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> AuthUser | None:
    user = connection.scope.get("user")
    return user if isinstance(user, AuthUser) else None


def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if current_user(connection) is None:
        raise Unauthorized("sign in first: this needs an access token")


def requires_role(*roles: str):  # type: ignore[no-untyped-def]
    """A guard: the caller is signed in and has one of `roles`."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = current_user(connection)
        if user is None:
            raise Unauthorized("sign in first: this needs an access token")
        if user.role not in roles:
            raise Forbidden(f"this needs the role {' or '.join(roles)}; you are a {user.role}")

    return guard


creators_only = requires_role("creator", "admin")
admins_only = requires_role("admin")
moderators_only = requires_role("moderator", "admin")


def can_change(user: AuthUser | None, owner_id: str) -> bool:
    """Only the owner or an admin changes a thing."""
    return user is not None and (user.is_admin or user.id == owner_id)


def ensure_can_change(user: AuthUser | None, owner_id: str, what: str = "this content") -> None:
    if user is None:
        raise Unauthorized("sign in first: this needs an access token")
    if not can_change(user, owner_id):
        raise Forbidden(f"only the owner of {what} or an admin can change it")
