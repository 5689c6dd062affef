"""Sending work to the workers. The API only ever sends ids; the database holds the state."""

from __future__ import annotations

import logging

import anyio
from redis.exceptions import RedisError

from api.errors import lost_redis
from workers import messages

log = logging.getLogger(__name__)


async def send_advance(content_id: str) -> None:
    """Ask the orchestrator to enqueue whatever the content's plan has ready (the sweeper
    advances content whose plan has nothing queued once Redis is back)."""
    await send_committed("advance", content_id)


async def send_committed(actor_name: str, *args: str) -> None:
    """Send a message that follows a committed change, whose sending the clock repeats.

    When Redis is down the change still stands and the request succeeds, since the caller
    would otherwise redo a change that was made; the clock sends what is still owed once Redis
    is back (workers/clock: lost jobs, track removals)."""
    try:
        await send(actor_name, *args)
    except RedisError as exc:
        if not lost_redis(exc):
            raise
        log.warning("%s for %s not sent (%s); the clock sends it later", actor_name, args, exc)


async def send(actor_name: str, *args: str) -> None:
    """Send a message by its actor's name, off the event loop (Redis calls block)."""
    await anyio.to_thread.run_sync(lambda: messages.send(actor_name, *args))
