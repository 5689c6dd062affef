"""Visitors who watch a service without an account: a church's stream is for whoever finds it.

A guest gets a watch-only LiveKit token (no camera, no microphone, no data messages: the chat
needs a signed-in member, whose messages can be moderated) for a public or unlisted service that
is live. Each token is a participant the room must hold, so tokens are counted per client
address in one-minute windows in Redis (shared by every API process); the budget is generous
because a household or a church's overflow room shares one address.
"""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

from api.errors import Forbidden, RateLimited
from models import LiveSession
from settings import Settings

WINDOW_S = 60
GUEST_PREFIX = "guest-"
GUEST_NAME = "Guest"


def guest_identity() -> str:
    """A fresh identity per token: two guests never replace each other in the room."""
    return f"{GUEST_PREFIX}{secrets.token_hex(8)}"


async def admit_guest(redis: Redis, settings: Settings, session: LiveSession, address: str) -> None:
    """Forbidden when guests may not watch this service; RateLimited past the address's budget."""
    if not settings.live_guests:
        raise Forbidden("sign in to watch live services on this server")
    if session.visibility == "private":
        raise Forbidden("sign in to watch this service")
    key = f"{settings.broker_namespace}:live_guests:{address}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, WINDOW_S, nx=True)
        count, _ = await pipe.execute()
    if int(count) > settings.live_guest_tokens_per_minute:
        raise RateLimited(
            "too many visitors joined from this address this minute; wait a minute and try "
            "again, or sign in",
            extra={"retry_after_s": WINDOW_S},
        )
