"""The `community` channel: new posts, comments, reactions and moderation reach open pages over
Redis pub/sub, as Server-Sent Events or a WebSocket (the same path as every other event).

Events carry what any member may see (an anonymous author stays hidden; a held post is not
announced); a page that needs more fetches it through the API, whose rules apply to its caller.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import msgspec
from litestar import WebSocket, get, websocket
from litestar.channels import ChannelsPlugin
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.response import ServerSentEvent, ServerSentEventMessage

from api.auth.middleware import current_user, signed_in
from api.event_streams import (
    current_number,
    event_text,
    numbered_events,
    relay,
    with_keepalive,
)
from workers.pubsub import publish

CHANNEL = "community"


async def announce(kind: str, **fields: Any) -> None:
    event = {"type": kind, **msgspec.to_builtins(fields)}
    await anyio.to_thread.run_sync(publish, CHANNEL, event)


@get(
    "/community/events",
    guards=[signed_in],
    tags=["community"],
    summary="Server-Sent Events of the community: posts, comments, reactions, moderation",
    media_type="text/event-stream",
    cache_control=None,
)
async def community_events(
    channels: NamedDependency[ChannelsPlugin], state: State
) -> ServerSentEvent:
    after = await current_number(state.redis, CHANNEL)

    async def stream() -> AsyncIterator[ServerSentEventMessage]:
        async for event in with_keepalive(numbered_events(channels, CHANNEL, after)):
            if event is None:
                yield ServerSentEventMessage(comment="keep-alive", data=None)
            else:
                yield ServerSentEventMessage(
                    data=event_text(event), id=str(event["id"]), event=str(event["type"])
                )

    return ServerSentEvent(stream(), headers={"X-Accel-Buffering": "no"})


@websocket("/community/ws")
async def community_socket(
    socket: WebSocket[Any, Any, Any], channels: NamedDependency[ChannelsPlugin]
) -> None:
    """The same events over a WebSocket (members only; the token may come as `?token=`)."""
    if current_user(socket) is None:
        await socket.close(code=4401, reason="sign in first")
        return
    after = await current_number(socket.app.state.redis, CHANNEL)
    await socket.accept()
    await socket.send_json({"type": "ready", "id": after})
    await relay(socket, numbered_events(channels, CHANNEL, after))
