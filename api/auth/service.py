"""Accounts: creating users, checking passwords, issuing and rotating tokens."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import DISABLED
from api.auth.passwords import hash_in_thread, hash_password, verify_in_thread
from api.auth.schemas import TokensOut
from api.auth.tokens import (
    AuthUser,
    create_access_token,
    create_refresh_token,
    read_refresh_token,
)
from api.errors import Conflict, Unauthorized
from models import RefreshToken, User, utcnow
from settings import Settings

# Verifying against a real hash when the email is unknown keeps login time flat: no user probing.
_DUMMY_HASH = hash_password("not-a-real-password")


def auth_user(user: User) -> AuthUser:
    return AuthUser(id=user.id, email=user.email, role=user.role, name=user.display_name)  # type: ignore[arg-type]


async def create_user(
    db: AsyncSession, email: str, password: str, role: str = "listener", display_name: str = ""
) -> User:
    user = User(
        email=email.strip().lower(),
        password_hash=await hash_in_thread(password),
        role=role,
        display_name=display_name,
    )
    db.add(user)
    try:
        await db.flush()
    except IntegrityError:
        await db.rollback()
        raise Conflict("an account with this email already exists") from None
    return user


async def authenticate(db: AsyncSession, email: str, password: str) -> User:
    user = (await db.scalars(select(User).where(User.email == email.strip().lower()))).first()
    if user is None:
        await verify_in_thread(_DUMMY_HASH, password)
        raise Unauthorized("wrong email or password")
    if not await verify_in_thread(user.password_hash, password):
        raise Unauthorized("wrong email or password")
    if user.disabled:  # said only to whoever knows the password
        raise Unauthorized(DISABLED)
    return user


async def issue_tokens(
    db: AsyncSession, settings: Settings, user: User, family: str | None = None
) -> TokensOut:
    refresh, claims = create_refresh_token(settings, user.id, family)
    db.add(
        RefreshToken(
            id=claims.jti,
            user_id=user.id,
            family_id=claims.family,
            issued_at=utcnow(),
            expires_at=claims.expires_at,
        )
    )
    await db.flush()
    access = create_access_token(settings, auth_user(user))
    return TokensOut(
        access_token=access, refresh_token=refresh, expires_in=settings.access_token_ttl_s
    )


async def rotate(db: AsyncSession, settings: Settings, token: str) -> TokensOut:
    """Exchange a refresh token for new tokens. A token used twice was stolen: revoke its family."""
    claims = read_refresh_token(settings, token)
    row = (
        await db.scalars(
            select(RefreshToken).where(RefreshToken.id == claims.jti).with_for_update()
        )
    ).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("the refresh token is not valid; log in again")
    if row.used_at is not None:
        await db.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        await db.commit()
        raise Unauthorized("the refresh token was already used; every session of it is signed out")
    user = await db.get(User, row.user_id)
    if user is None:
        raise Unauthorized("the account no longer exists")
    if user.disabled:
        raise Unauthorized(DISABLED)
    row.used_at = utcnow()
    return await issue_tokens(db, settings, user, family=row.family_id)
