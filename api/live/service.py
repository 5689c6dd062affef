"""Live session rules: who sees a session, who may do what in it, and the room it runs in."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import can_change
from api.auth.tokens import AuthUser
from api.errors import NotFound
from models import LiveSession, User
from pipelines.live.livekit import RoomLimits

ROOM_LIMITS = RoomLimits()


def new_room_name() -> str:
    # Not the title: room names are LiveKit identifiers, and must never be reused by a session.
    return f"cnt-{uuid.uuid4().hex}"


def visible_to(session: LiveSession, user: AuthUser | None) -> bool:
    """Public and unlisted sessions are seen by anyone with the link; private ones by their
    owner and admins."""
    return session.visibility in ("public", "unlisted") or can_change(user, session.owner_id)


async def load_session(
    db: AsyncSession, session_id: str, user: AuthUser | None, *, lock: bool = False
) -> LiveSession:
    """The session if the caller may see it; otherwise 404, so private ids leak nothing."""
    query = select(LiveSession).where(LiveSession.id == session_id)
    if lock:
        query = query.with_for_update()
    session = (await db.scalars(query)).first()
    if session is None or not visible_to(session, user):
        raise NotFound("no such live session")
    return session


def listed_for(user: AuthUser | None) -> Select[LiveSession]:
    """Sessions a caller finds in the list: public ones, their own, everything for admins."""
    query = select(LiveSession).order_by(LiveSession.scheduled_at.desc(), LiveSession.id)
    if user is not None and user.is_admin:
        return query
    if user is None:
        return query.where(LiveSession.visibility == "public")
    return query.where(or_(LiveSession.visibility == "public", LiveSession.owner_id == user.id))


async def display_name(db: AsyncSession, user: AuthUser) -> str:
    """The name others see in the room: the account's display name, else its email's name."""
    account = await db.get(User, user.id)
    if account is None:
        raise NotFound("no such account")
    return account.display_name or account.email.split("@", 1)[0]
