"""GET /content/{id}/events: a content's job progress and status as Server-Sent Events.

Events come from the `content:{id}` channel (api/event_streams.py: Litestar channels on Redis
pub/sub), each with the number workers.pubsub gave it, sent as the SSE `id:` so a browser's
EventSource resends it as Last-Event-ID on reconnect; the stream then resumes from the Redis
backlog first.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Annotated, Any

from litestar import get
from litestar.channels import ChannelsPlugin
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import can_change
from api.auth.tokens import AuthUser
from api.content.service import load_content
from api.errors import NotFound
from api.event_streams import current_number, event_text, numbered_events
from workers.pubsub import content_channel

# Proxies and load balancers close connections idle for ~60 s: a comment line every 15 s keeps
# a quiet stream (a long encode between progress beats) open.
KEEPALIVE_S = 15.0


def _resume_point(header: str | None, query: str | None) -> int | None:
    for value in (header, query):
        if value is not None and value.strip().isdigit():
            return int(value.strip())
    return None


@get(
    "/content/{content_id:str}/events",
    tags=["content"],
    summary="Live job progress and status (Server-Sent Events)",
    description=(
        "A stream of `job` events ({job_id, step, generation, status, progress, attempts, error}) "
        "and `content` events ({status, ...}), each with an SSE `id`. Reconnect with the "
        "`Last-Event-ID` header (EventSource does this by itself) or `?last_event_id=` to receive "
        "what happened in between (a short backlog is kept). Without it the stream starts with "
        "the next event. Non-public content: owner or admin only."
    ),
    media_type="text/event-stream",
    cache_control=None,
)
async def content_events(
    content_id: FromPath[str],
    db: NamedDependency[AsyncSession],
    user: NamedDependency[AuthUser | None],
    channels: NamedDependency[ChannelsPlugin],
    state: State,
    last_event_id_header: Annotated[str | None, HeaderParameter(name="Last-Event-ID")] = None,
    last_event_id: FromQuery[str | None] = None,
) -> ServerSentEvent:
    content = await load_content(db, content_id, user)
    if content.visibility != "public" and not can_change(user, content.owner_id):
        raise NotFound("no such content")
    # A stream may last hours: give the database connection back now, not when it ends.
    await db.close()
    channel = content_channel(content_id)
    after = _resume_point(last_event_id_header, last_event_id)
    if after is None:
        after = await current_number(state.redis, channel)
    return ServerSentEvent(_messages(channels, channel, after), headers={"X-Accel-Buffering": "no"})


async def _messages(
    channels: ChannelsPlugin, channel: str, after: int
) -> AsyncGenerator[ServerSentEventMessage, None]:
    events = numbered_events(channels, channel, after)
    # One task keeps reading the channel; waiting on it with a timeout (not cancelling it) lets
    # a keep-alive go out without tearing down the subscription.
    pending: asyncio.Future[dict[str, Any]] = asyncio.ensure_future(anext(events))
    try:
        while True:
            done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_S)
            if not done:
                yield ServerSentEventMessage(comment="keep-alive", data=None)
                continue
            event = pending.result()
            pending = asyncio.ensure_future(anext(events))
            yield ServerSentEventMessage(
                data=event_text(event),
                id=str(event["id"]),
                event=str(event.get("type", "message")),
            )
    finally:
        pending.cancel()
        await asyncio.gather(pending, return_exceptions=True)
        await events.aclose()
