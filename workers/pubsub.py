"""Events on Redis pub/sub, with a short numbered backlog: a reconnecting client misses nothing."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import redis

from settings import get_settings
from workers.redis_clients import sync_client

BACKLOG = 200
BACKLOG_TTL_S = 24 * 3600

# For each event (KEYS: its channel's sequence and backlog; ARGV: the event and its channel after
# the backlog size and time to live): INCR the sequence, keep the event in a capped list, publish
# it. Atomically, so the backlog and the live stream never disagree about an event's id; several
# events in one call, so a worker's round of transitions costs one round trip. The id goes in
# front of the event's JSON object as text: decoding and encoding it in Lua cost Redis more than
# the rest of the call.
_PUBLISH = """
local size, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local seq = 0
for i = 1, #KEYS / 2 do
    local sequence, backlog = KEYS[2 * i - 1], KEYS[2 * i]
    seq = redis.call('INCR', sequence)
    local event = ARGV[1 + 2 * i]
    local text = '{"id":' .. seq .. (event == '{}' and '}' or ',' .. string.sub(event, 2))
    redis.call('RPUSH', backlog, text)
    redis.call('LTRIM', backlog, -size, -1)
    redis.call('EXPIRE', sequence, ttl)
    redis.call('EXPIRE', backlog, ttl)
    redis.call('PUBLISH', ARGV[2 + 2 * i], text)
end
return seq
"""


def wire_channel(channel: str) -> str:
    """The Redis pub/sub name of `channel`, under the run's namespace like its sequence and
    backlog: two platforms (or test runs) on one Redis must not hear each other's events, whose
    numbers would otherwise move a listener past its own platform's next event."""
    return f"{get_settings().broker_namespace}:events:{channel}"


def backlog_key(channel: str) -> str:
    return f"{get_settings().broker_namespace}:events:{channel}:backlog"


def sequence_key(channel: str) -> str:
    return f"{get_settings().broker_namespace}:events:{channel}:seq"


@lru_cache(maxsize=1)
def _client() -> redis.Redis:
    return sync_client(get_settings().redis_url)


@lru_cache(maxsize=1)
def _publish_script() -> Any:
    return _client().register_script(_PUBLISH)


def publish(channel: str, event: dict[str, Any]) -> int:
    """Publish one event to `channel` (e.g. `content:{id}`); returns its sequence number."""
    return publish_many([(channel, event)])


def publish_many(events: list[tuple[str, dict[str, Any]]]) -> int:
    """Publish (channel, event) pairs in order, in one call; returns the last one's number."""
    keys: list[str] = []
    args: list[Any] = [BACKLOG, BACKLOG_TTL_S]
    for channel, event in events:
        if "id" in event:  # the id is the sequence's to give
            event = {key: value for key, value in event.items() if key != "id"}
        keys += [sequence_key(channel), backlog_key(channel)]
        args += [json.dumps(event, default=str), wire_channel(channel)]
    return int(_publish_script()(keys=keys, args=args))


def backlog_since(channel: str, last_id: int) -> list[dict[str, Any]]:
    """Events of the backlog with an id above `last_id`, oldest first."""
    events = [json.loads(raw) for raw in _client().lrange(backlog_key(channel), 0, -1)]
    return [event for event in events if int(event.get("id", 0)) > last_id]


def content_channel(content_id: str) -> str:
    return f"content:{content_id}"


def live_channel(session_id: str) -> str:
    return f"live:{session_id}"
