"""Whether a member may write now (posts, comments, chat): not muted in that scope, within the
rate and the length the settings allow; and whether what they wrote is held back for review by
the word list."""

from __future__ import annotations

import re
import time

from litestar.stores.base import Store
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.community.errors import Muted, PostingTooFast, TextTooLong
from models import HeldWord, Mute, utcnow


async def ensure_not_muted(db: AsyncSession, user: AuthUser, scope: str) -> None:
    until = await db.scalar(
        select(Mute.until).where(
            Mute.user_id == user.id, Mute.scope == scope, Mute.until > utcnow()
        )
    )
    if until is not None:
        raise Muted(f"you are muted until {until.isoformat(timespec='minutes')}")


async def ensure_within_rate(store: Store, user: AuthUser, bucket: str, per_minute: int) -> None:
    """A fixed window per member in the API's rate-limit store (Redis: shared by every API
    process). Moderators and admins answer many at once and are not counted."""
    if user.is_moderator:
        return
    window = int(time.time() // 60)
    key = f"posting::{bucket}::{user.id}::{window}"
    count = int(await store.get(key) or 0)
    if count >= per_minute:
        raise PostingTooFast(f"at most {per_minute} {bucket} a minute; wait a moment")
    await store.set(key, str(count + 1), expires_in=120)


def ensure_length(text: str, limit: int, field: str = "text") -> None:
    """At most `limit` characters (a setting; the schema holds only the hard ceiling)."""
    if len(text) > limit:
        raise TextTooLong(
            f"{field} is {len(text)} characters; at most {limit} are allowed",
            extra={"field": field, "max_length": limit},
        )


async def held_by_words(db: AsyncSession, text: str) -> bool:
    """Whether `text` holds a word or phrase of the moderators' list (whole words, any case)."""
    words = list(await db.scalars(select(HeldWord.word)))
    if not words:
        return False
    pattern = r"\b(?:" + "|".join(re.escape(word) for word in words) + r")\b"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None
