"""POST /auth/register, /auth/login, /auth/refresh; GET /auth/me; admins set roles."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import accounts
from api.auth.login_limits import LoginLimits
from api.auth.middleware import admins_only, signed_in
from api.auth.schemas import (
    AccountPatch,
    LoginIn,
    RefreshIn,
    RegisterIn,
    RoleIn,
    TokensOut,
    UserOut,
)
from api.auth.service import authenticate, create_user, issue_tokens, rotate
from api.auth.tokens import AuthUser
from api.errors import NotFound, Unauthorized
from models import User
from settings import Settings


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        role=user.role,  # type: ignore[arg-type]
        display_name=user.display_name,
        disabled=user.disabled,
    )


class AuthController(Controller):
    path = "/auth"
    tags = ["accounts"]

    @post("/register", status_code=201, summary="Create a listener account and sign in")
    async def register(
        self,
        data: JSONBody[RegisterIn],
        db: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> TokensOut:
        user = await create_user(db, data.email, data.password, "listener", data.display_name)
        tokens = await issue_tokens(db, settings, user)
        await db.commit()
        return tokens

    @post("/login", status_code=200, summary="Sign in with email and password")
    async def login(
        self,
        data: JSONBody[LoginIn],
        db: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        request: Request[Any, Any, Any],
    ) -> TokensOut:
        address = request.client.host if request.client else "unknown"
        limits = LoginLimits(request.app.state.redis, settings, address)
        await limits.check(data.email)
        try:
            user = await authenticate(db, data.email, data.password)
        except Unauthorized:
            await limits.failed(data.email)
            raise
        tokens = await issue_tokens(db, settings, user)
        await db.commit()
        return tokens

    @post(
        "/refresh", status_code=200, summary="Exchange a refresh token for new tokens (it rotates)"
    )
    async def refresh(
        self,
        data: JSONBody[RefreshIn],
        db: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> TokensOut:
        tokens = await rotate(db, settings, data.refresh_token)
        await db.commit()
        return tokens

    @get("/me", guards=[signed_in], summary="The signed-in account")
    async def me(
        self, user: NamedDependency[AuthUser | None], db: NamedDependency[AsyncSession]
    ) -> UserOut:
        assert user is not None
        row = await db.get(User, user.id)
        if row is None:
            raise NotFound("the account no longer exists")
        return user_out(row)


class UsersController(Controller):
    path = "/users"
    tags = ["accounts"]
    guards = [admins_only]

    @get("/", summary="Find an account by its email (admins)")
    async def find(self, email: FromQuery[str], db: NamedDependency[AsyncSession]) -> list[UserOut]:
        rows = await db.scalars(select(User).where(User.email == email.strip().lower()))
        return [user_out(row) for row in rows]

    @patch("/{user_id:str}", summary="Disable or enable an account (admins)")
    async def set_disabled(
        self,
        user_id: FromPath[str],
        data: JSONBody[AccountPatch],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> UserOut:
        assert user is not None
        row = await accounts.set_disabled(db, user.id, user_id, data.disabled)
        await db.commit()
        return user_out(row)

    @patch("/{user_id:str}/role", summary="Change an account's role (admins)")
    async def set_role(
        self, user_id: FromPath[str], data: JSONBody[RoleIn], db: NamedDependency[AsyncSession]
    ) -> UserOut:
        row = await accounts.change_role(db, user_id, data.role)
        await db.commit()
        return user_out(row)
