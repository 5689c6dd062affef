"""The event stream plumbing: ordered without gaps, quiet streams kept open, closed cleanly."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

from api.event_streams import with_keepalive
from workers.pubsub import live_channel, publish


def test_a_quiet_stream_sends_keepalives_between_events_and_closes_its_source() -> None:
    closed = asyncio.Event()

    async def source() -> AsyncIterator[int]:
        try:
            yield 1
            await asyncio.sleep(0.3)
            yield 2
            await asyncio.sleep(3600)
            yield 3
        finally:
            closed.set()

    async def read() -> list[int | None]:
        seen: list[int | None] = []
        stream = with_keepalive(source(), every_s=0.05)
        async for item in stream:
            seen.append(item)
            if item == 2:
                break
        await stream.aclose()  # type: ignore[attr-defined]
        assert closed.is_set()
        return seen

    seen = asyncio.run(read())
    assert seen[0] == 1 and seen[-1] == 2 and None in seen[1:-1]
    assert set(seen[1:-1]) == {None}


def test_events_missed_by_pub_sub_are_read_back_from_the_backlog(clean_db: None) -> None:
    """A subscriber that starts after three events, told it has seen the first, gets 2 and 3
    from the backlog and then 4 live, in order."""
    from litestar import Litestar

    from api.event_streams import channels_plugin, numbered_events
    from settings import get_settings

    channel = live_channel(f"test-{secrets.token_hex(4)}")
    for n in range(3):
        publish(channel, {"type": "tick", "n": n})
    plugin = channels_plugin(get_settings())

    async def read() -> list[int]:
        app = Litestar(plugins=[plugin])
        numbers: list[int] = []
        async with app.lifespan():  # starts the plugin's Redis subscriber
            async for event in numbered_events(plugin, channel, after=1):
                numbers.append(event["id"])
                if len(numbers) == 2:
                    await asyncio.to_thread(publish, channel, {"type": "tick", "n": 3})
                if len(numbers) == 3:
                    break
        return numbers

    assert asyncio.run(read()) == [2, 3, 4]
