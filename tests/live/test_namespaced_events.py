"""Two platforms on one Redis (production beside staging, two test runs) do not hear each
other's events: another namespace's event on the same channel, numbered past ours, must not
move a listener past our own next event."""

from __future__ import annotations

import asyncio
import os

import redis

from settings import get_settings
from workers.pubsub import publish, wire_channel


def test_events_of_another_namespace_never_reach_our_listeners(clean_db: None) -> None:
    from api.app import create_app
    from api.event_streams import numbered_events

    settings = get_settings()
    channel = "community"
    other = redis.Redis.from_url(settings.redis_url)
    # Where another platform on this Redis publishes the same channel: under its namespace.
    os.environ["BROKER_NAMESPACE"] = f"{settings.broker_namespace}-other"
    get_settings.cache_clear()
    try:
        foreign = wire_channel(channel)
    finally:
        os.environ["BROKER_NAMESPACE"] = settings.broker_namespace
        get_settings.cache_clear()
    assert foreign != wire_channel(channel)
    app = create_app()
    channels = app.plugins.get("ChannelsPlugin")

    async def listen() -> list[str]:
        got: list[str] = []
        async with app.lifespan():
            stream = numbered_events(channels, channel, after=_current(settings, channel))
            reader = asyncio.ensure_future(anext(stream))
            await asyncio.sleep(0.5)  # subscribed
            # The other platform's event, numbered far past ours, then our own next one.
            other.publish(foreign, '{"id": 1000000, "type": "post", "text": "theirs"}')
            other.publish(channel, '{"id": 1000001, "type": "post", "text": "bare"}')
            await asyncio.sleep(0.2)
            await asyncio.to_thread(publish, channel, {"type": "post", "text": "ours"})
            got.append((await asyncio.wait_for(reader, 10))["text"])
            await stream.aclose()
        return got

    assert asyncio.run(listen()) == ["ours"]


def _current(settings, channel: str) -> int:  # type: ignore[no-untyped-def]
    from workers.pubsub import sequence_key

    raw = redis.Redis.from_url(settings.redis_url).get(sequence_key(channel))
    return int(raw or 0)
