"""Live chat rules: who may write (not muted, slow mode), who moderates a service's chat (its
host, moderators, admins), messages in order, and their time in the recording."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.community.errors import PostingTooFast
from api.errors import Forbidden
from api.live.chat_schemas import ChatAuthor, ChatMessageOut
from models import ChatMessage, ChatSettings, Content, LiveSession
from models.catalog.cursor import decode_cursor, encode_cursor
from models.errors import BadCursor
from settings import get_settings


def live_scope(session_id: str) -> str:
    """The mute scope of one service's chat."""
    return f"live:{session_id}"


def moderates_chat(session: LiveSession, user: AuthUser | None) -> bool:
    return user is not None and (user.id == session.owner_id or user.is_moderator)


def ensure_moderates_chat(session: LiveSession, user: AuthUser | None) -> None:
    if not moderates_chat(session, user):
        raise Forbidden("only the service's host or a moderator does that")


async def slow_mode_s(db: AsyncSession, session_id: str) -> int:
    row = await db.get(ChatSettings, session_id)
    return row.slow_mode_s if row is not None else 0


async def ensure_not_too_soon(redis: Any, session_id: str, user: AuthUser, wait_s: int) -> None:
    """Slow mode: one message per member per `wait_s` seconds (SET NX with an expiry: every API
    process sees the same key)."""
    if wait_s <= 0:
        return
    key = f"{get_settings().broker_namespace}:chat:{session_id}:slow:{user.id}"
    if not await redis.set(key, b"1", nx=True, ex=wait_s):
        raise PostingTooFast(f"slow mode is on: one message every {wait_s} seconds")


def recording_clock(session: LiveSession) -> datetime | None:
    """Time zero of the recording: the egress file's start, else the room's."""
    return session.recording_started_at or session.started_at


def message_out(message: ChatMessage, clock: datetime | None) -> ChatMessageOut:
    at_s = None
    if clock is not None:
        at_s = round(max(0.0, (message.sent_at - clock).total_seconds()), 3)
    return ChatMessageOut(
        id=message.id,
        session_id=message.session_id,
        author=ChatAuthor(id=message.author_id, name=message.author_name),
        text="" if message.removed else message.text,
        sent_at=message.sent_at,
        at_s=at_s,
        removed=message.removed,
    )


async def history(
    db: AsyncSession, session_id: str, *, limit: int, cursor: str | None, with_removed: bool
) -> tuple[list[ChatMessage], str | None]:
    """Oldest first from the cursor: the order everyone watching received them in."""
    query = select(ChatMessage).where(ChatMessage.session_id == session_id)
    if not with_removed:
        query = query.where(ChatMessage.removed.is_(False))
    if cursor:
        after = decode_cursor(cursor)
        try:
            when = datetime.fromisoformat(str(after.key))
        except ValueError:
            raise BadCursor("the cursor is not one this API gave out") from None
        query = query.where(tuple_(ChatMessage.sent_at, ChatMessage.id) > tuple_(when, after.id))
    rows = list(
        await db.scalars(query.order_by(ChatMessage.sent_at, ChatMessage.id).limit(limit + 1))
    )
    more, rows = len(rows) > limit, rows[:limit]
    last = rows[-1] if more and rows else None
    return rows, encode_cursor(last.sent_at.isoformat(), last.id) if last else None


def replayed(
    rows: list[ChatMessage], session: LiveSession, content: Content
) -> list[ChatMessageOut]:
    """Each message at its second in what the recording plays. A recording trimmed to its sermon
    starts at its range's start, so the times move with it, and what was said outside the range
    is not part of it."""
    clock = recording_clock(session)
    start, end = content.range_start_s or 0.0, content.range_end_s
    items = []
    for row in rows:
        item = message_out(row, clock)
        if item.at_s is not None:
            if item.at_s < start or (end is not None and item.at_s > end):
                continue
            item = msgspec.structs.replace(item, at_s=round(item.at_s - start, 3))
        items.append(item)
    return items
