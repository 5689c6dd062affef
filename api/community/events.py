"""The `community` channel: new posts, comments, reactions and moderation reach open pages over
Redis pub/sub, as Server-Sent Events or a WebSocket (the same path as every other event).

Events carry what any member may see (an anonymous author stays hidden; a held post is not
announced); a page that needs more fetches it through the API, whose rules apply to its caller.

A sermon's comments have a channel of their own (`sermon_channel`), streamed by the same code to
whoever may see that sermon, visitors included: a comment on a private sermon never goes out on
the members' `community` channel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
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


def sermon_channel(content_id: str) -> str:
    """The channel of one sermon's comments (and their edits and removals)."""
    return f"{CHANNEL}:content:{content_id}"


async def announce(kind: str, channel: str = CHANNEL, **fields: Any) -> None:
    event = {"type": kind, **msgspec.to_builtins(fields)}
    await anyio.to_thread.run_sync(publish, channel, event)


def everyone(event: dict[str, Any]) -> bool:
    """Every event of the channel goes to every subscriber."""
    return True


def event_stream(
    channels: ChannelsPlugin,
    channel: str,
    after: int,
    sent: Callable[[dict[str, Any]], bool] = everyone,
) -> ServerSentEvent:
    """The events of `channel` numbered above `after` for which `sent` is true, as Server-Sent
    Events with their numbers as ids, kept open by a comment while the channel is quiet."""

    async def stream() -> AsyncIterator[ServerSentEventMessage]:
        async for event in with_keepalive(numbered_events(channels, channel, after)):
            if event is None:
                yield ServerSentEventMessage(comment="keep-alive", data=None)
            elif sent(event):
                yield ServerSentEventMessage(
                    data=event_text(event), id=str(event["id"]), event=str(event["type"])
                )

    return ServerSentEvent(stream(), headers={"X-Accel-Buffering": "no"})


async def socket_stream(
    socket: WebSocket[Any, Any, Any],
    channels: ChannelsPlugin,
    channel: str,
    sent: Callable[[dict[str, Any]], bool] = everyone,
) -> None:
    """The same events over an accepted-here WebSocket: a `ready` message with the number the
    stream starts after, then each event for which `sent` is true, until the client closes."""
    after = await current_number(socket.app.state.redis, channel)
    await socket.accept()
    await socket.send_json({"type": "ready", "id": after})

    async def chosen() -> AsyncIterator[dict[str, Any]]:
        async for event in numbered_events(channels, channel, after):
            if sent(event):
                yield event

    await relay(socket, chosen())


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
    return event_stream(channels, CHANNEL, after)


@websocket("/community/ws")
async def community_socket(
    socket: WebSocket[Any, Any, Any], channels: NamedDependency[ChannelsPlugin]
) -> None:
    """The same events over a WebSocket (members only; the token may come as `?token=`)."""
    if current_user(socket) is None:
        await socket.close(code=4401, reason="sign in first")
        return
    await socket_stream(socket, channels, CHANNEL)
