"""JWTs: short access tokens carrying the role, and refresh tokens that rotate by family."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt
import msgspec

from api.auth.token_cache import VerifiedTokens
from api.errors import Unauthorized
from settings import Settings

# Pinned: a token must never choose its own algorithm ("none", or RS/HS confusion).
ALGORITHM = "HS256"
ISSUER = "cnt-media"


class AuthUser(msgspec.Struct, frozen=True):
    """Who is calling, as the access token says."""

    id: str
    email: str
    role: Literal["listener", "creator", "moderator", "admin"]
    name: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_moderator(self) -> bool:
        """Moderators, and admins, who may do everything a moderator does."""
        return self.role in ("moderator", "admin")


class RefreshClaims(msgspec.Struct, frozen=True):
    user_id: str
    jti: str
    family: str
    expires_at: datetime


def _encode(settings: Settings, claims: dict[str, Any], ttl_s: int) -> str:
    now = datetime.now(UTC)
    payload = {
        "iss": ISSUER,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(seconds=ttl_s),
        **claims,
    }
    return jwt.encode(payload, settings.jwt_secret, algorithm=ALGORITHM)


def _decode(settings: Settings, token: str, kind: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "typ"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired; refresh it or log in again") from None
    except jwt.PyJWTError:
        raise Unauthorized("the token is not valid") from None
    if claims.get("typ") != kind:
        raise Unauthorized(f"expected an {kind} token")
    return claims


def create_access_token(settings: Settings, user: AuthUser) -> str:
    claims = {
        "sub": user.id,
        "typ": "access",
        "email": user.email,
        "role": user.role,
        "name": user.name,
    }
    return _encode(settings, claims, settings.access_token_ttl_s)


# Every signed-in request reads its access token; verifying it again each time was most of a
# cached page's cost. Only what the token says is kept, until its exp (api/auth/token_cache.py).
VERIFIED = VerifiedTokens[AuthUser]()


def read_access_token(settings: Settings, token: str) -> AuthUser:
    known = VERIFIED.get(settings.jwt_secret, token)
    if known is not None:
        return known
    claims = _decode(settings, token, "access")
    try:
        user = AuthUser(
            id=claims["sub"],
            email=claims["email"],
            role=claims["role"],
            name=claims.get("name", ""),
        )
        expires = float(claims["exp"])
    except (KeyError, TypeError, ValueError):
        raise Unauthorized("the token is not valid") from None
    VERIFIED.put(settings.jwt_secret, token, expires, user)
    return user


def create_refresh_token(
    settings: Settings, user_id: str, family: str | None = None
) -> tuple[str, RefreshClaims]:
    jti = secrets.token_urlsafe(24)
    family = family or secrets.token_urlsafe(24)
    token = _encode(
        settings,
        {"sub": user_id, "typ": "refresh", "jti": jti, "fam": family},
        settings.refresh_token_ttl_s,
    )
    expires = datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl_s)
    return token, RefreshClaims(user_id=user_id, jti=jti, family=family, expires_at=expires)


def read_refresh_token(settings: Settings, token: str) -> RefreshClaims:
    claims = _decode(settings, token, "refresh")
    try:
        return RefreshClaims(
            user_id=claims["sub"],
            jti=claims["jti"],
            family=claims["fam"],
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
    except (KeyError, TypeError):
        raise Unauthorized("the token is not valid") from None
