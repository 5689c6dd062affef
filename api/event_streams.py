"""Events to clients: Litestar channels on Redis pub/sub, so every API process hears every event.

Workers publish with `workers.pubsub.publish` (a numbered event, kept in a short backlog, then
PUBLISHed on the channel's name under the run's namespace, `wire_channel("live:{id}")`); the
PubSub backend subscribes to the same names. `numbered_events` turns one channel into an
ordered stream without gaps: a dropped or raced pub/sub message is read back from the backlog by
its number.

One message reaches every subscriber of a process (500 people watching a service's chat): it
is parsed once per process (`decoded`) and every client is sent the text it came in
(`event_text`), not a copy parsed and encoded again for each of them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import suppress
from typing import Any, TypeVar

import anyio
from litestar import WebSocket
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.exceptions import WebSocketDisconnect
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from settings import Settings
from workers.pubsub import backlog_since, sequence_key, wire_channel
from workers.redis_clients import async_client

T = TypeVar("T")
log = logging.getLogger(__name__)

# Proxies and load balancers close a response that stays silent for about a minute; an SSE
# comment line this often keeps a quiet stream open (clients ignore comments).
KEEPALIVE_S = 15.0
# A subscriber that falls this far behind loses its oldest events; the backlog fills the gap.
SUBSCRIBER_BACKLOG = 500


# Seconds between attempts to read the event stream again while Redis is away.
RECONNECT_S = 1.0
# Messages a process remembers having parsed: every subscriber of a channel reads a message
# within moments of the others, long before this many newer ones arrive.
RECENT_MESSAGES = 256


class Event(dict[str, Any]):
    """A published event, shared by every subscriber of the process that received it (read it,
    never change it), with the JSON text it arrived as."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        super().__init__(json.loads(text))
        self.text = text


_recent: OrderedDict[bytes | str, Event] = OrderedDict()


def decoded(raw: bytes | str) -> Event:
    """The event in `raw`, parsed once however many subscribers of this process receive it."""
    event = _recent.get(raw)
    if event is None:
        event = Event(raw.decode() if isinstance(raw, bytes) else raw)
        _recent[raw] = event
        if len(_recent) > RECENT_MESSAGES:
            _recent.popitem(last=False)
    return event


def event_text(event: dict[str, Any]) -> str:
    """The JSON to send a client: the text the event came in, or (read back from the backlog,
    or made here) encoded now."""
    return event.text if isinstance(event, Event) else json.dumps(event, default=str)


class ReconnectingPubSubBackend(RedisChannelsPubSubBackend):
    """Litestar's pub/sub backend, kept reading through a Redis outage.

    The plugin reads this backend's stream in one task per process; Litestar's own stream ends
    on the first lost connection, which ends that task, and every event stream of the process
    then stays silent for good. This one waits for Redis to come back; the PubSub subscribes
    again to its channels when it reconnects (redis-py's `on_connect`)."""

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        while True:
            try:
                async for event in super().stream_events():
                    yield event
            except (RedisConnectionError, RedisTimeoutError) as exc:
                log.warning("the event stream from Redis was lost (%s); reconnecting", exc)
                await asyncio.sleep(RECONNECT_S)


def channels_plugin(settings: Settings) -> ChannelsPlugin:
    """The one ChannelsPlugin of an API process (dependency name `channels`)."""
    # PubSub, not Streams: workers publish with one Lua call that also numbers and keeps the
    # event (workers.pubsub), which Streams' own keys would not follow.
    # No socket time-out: the subscription waits for messages as long as nothing is published.
    backend = ReconnectingPubSubBackend(redis=async_client(settings.redis_url, socket_timeout=None))
    return ChannelsPlugin(
        backend=backend,
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=SUBSCRIBER_BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )


async def read_backlog(channel: str, after: int) -> list[dict[str, Any]]:
    """Events of `channel` numbered above `after`, oldest first (the backlog is short)."""
    return await anyio.to_thread.run_sync(backlog_since, channel, after)


async def numbered_events(
    channels: ChannelsPlugin, channel: str, after: int
) -> AsyncGenerator[dict[str, Any], None]:
    """Every event of `channel` numbered above `after`, in order, each once, forever.

    The caller should already hold a subscription's worth of state up to `after`; events the
    pub/sub stream skipped (a slow subscriber, a publish racing the SUBSCRIBE) are read back
    from the backlog when the next number shows the gap.
    """
    last = after
    async with channels.start_subscription([wire_channel(channel)]) as subscriber:
        # Anything published between the caller's snapshot and this subscription.
        for event in await read_backlog(channel, last):
            last = int(event["id"])
            yield event
        async for raw in subscriber.iter_events():
            event = decoded(raw)
            number = int(event.get("id", 0))
            if number <= last:
                continue
            if number > last + 1:
                for missed in await read_backlog(channel, last):
                    if int(missed["id"]) < number:
                        last = int(missed["id"])
                        yield missed
            last = number
            yield event


async def current_number(redis: Redis, channel: str) -> int:
    """The number of the last event published on `channel` (0 when none)."""
    raw = await redis.get(sequence_key(channel))
    return int(raw or 0)


async def with_keepalive(
    source: AsyncIterator[T], every_s: float = KEEPALIVE_S
) -> AsyncIterator[T | None]:
    """The items of `source`, and None whenever it has been quiet for `every_s` seconds."""
    iterator = aiter(source)
    pending = asyncio.ensure_future(anext(iterator))
    try:
        while True:
            # asyncio.wait, not wait_for: a timeout must not cancel the read in progress.
            done, _ = await asyncio.wait({pending}, timeout=every_s)
            if not done:
                yield None
                continue
            try:
                item = pending.result()
            except StopAsyncIteration:
                return
            yield item
            pending = asyncio.ensure_future(anext(iterator))
    finally:
        pending.cancel()
        with suppress(asyncio.CancelledError, StopAsyncIteration):
            await pending
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


async def relay(socket: WebSocket[Any, Any, Any], events: AsyncIterator[dict[str, Any]]) -> None:
    """Send each event to an accepted WebSocket until the client closes it. Clients only
    listen: reading is how a closed socket is noticed between events."""
    async with anyio.create_task_group() as tasks:

        async def forward() -> None:
            async for event in events:
                await socket.send_text(event_text(event))

        async def until_closed() -> None:
            try:
                while True:
                    await socket.receive_data(mode="text")
            except WebSocketDisconnect:
                pass
            tasks.cancel_scope.cancel()

        tasks.start_soon(forward)
        tasks.start_soon(until_closed)
