"""Events on Redis pub/sub, with a short numbered backlog: a reconnecting client misses nothing."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import redis

from settings import get_settings

BACKLOG = 200
BACKLOG_TTL_S = 24 * 3600

# INCR the channel's sequence, keep the event in a capped list, publish it: atomically, so the
# backlog and the live stream never disagree about an event's id.
_PUBLISH = """
local seq = redis.call('INCR', KEYS[1])
local event = cjson.decode(ARGV[1])
event['id'] = seq
local text = cjson.encode(event)
redis.call('RPUSH', KEYS[2], text)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
redis.call('PUBLISH', ARGV[4], text)
return seq
"""


def backlog_key(channel: str) -> str:
    return f"{get_settings().broker_namespace}:events:{channel}:backlog"


def sequence_key(channel: str) -> str:
    return f"{get_settings().broker_namespace}:events:{channel}:seq"


@lru_cache(maxsize=1)
def _client() -> redis.Redis:
    return redis.Redis.from_url(get_settings().redis_url)


@lru_cache(maxsize=1)
def _publish_script() -> Any:
    script = _client().register_script(_PUBLISH)
    script.sha = _client().script_load(_PUBLISH)
    return script


def publish(channel: str, event: dict[str, Any]) -> int:
    """Publish one event to `channel` (e.g. `content:{id}`); returns its sequence number."""
    seq = _publish_script()(
        keys=[sequence_key(channel), backlog_key(channel)],
        args=[json.dumps(event, default=str), BACKLOG, BACKLOG_TTL_S, channel],
    )
    return int(seq)


def publish_many(events: list[tuple[str, dict[str, Any]]]) -> None:
    """Publish several (channel, event) pairs in order, in one round trip to Redis."""
    script = _publish_script()
    for attempt in (1, 2):
        pipeline = _client().pipeline(transaction=False)
        for channel, event in events:
            keys = [sequence_key(channel), backlog_key(channel)]
            args = [json.dumps(event, default=str), BACKLOG, BACKLOG_TTL_S, channel]
            # By its digest: redis-py would otherwise ask SCRIPT EXISTS before every pipeline.
            pipeline.evalsha(script.sha, len(keys), *keys, *args)
        try:
            pipeline.execute()
            return
        except redis.exceptions.NoScriptError:
            if attempt == 2:
                raise
            # Redis restarted and forgot the script: load it again (no event was published).
            script.sha = _client().script_load(_PUBLISH)


def backlog_since(channel: str, last_id: int) -> list[dict[str, Any]]:
    """Events of the backlog with an id above `last_id`, oldest first."""
    events = [json.loads(raw) for raw in _client().lrange(backlog_key(channel), 0, -1)]
    return [event for event in events if int(event.get("id", 0)) > last_id]


def content_channel(content_id: str) -> str:
    return f"content:{content_id}"


def live_channel(session_id: str) -> str:
    return f"live:{session_id}"
