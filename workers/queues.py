"""What waits in the broker: queue depths, and which job messages Redis still holds.

Read straight from the keys of Dramatiq's Redis broker: `<ns>:<queue>` lists ready ids,
`<ns>:<queue>.msgs` holds every payload not yet acknowledged (ready or fetched by a worker),
`<queue>.DQ` is the delayed (retry backoff) queue, `.XQ` the dead letters.
"""

from __future__ import annotations

import json
from functools import lru_cache

import msgspec
import redis

from settings import get_settings
from workers.broker import QUEUES
from workers.redis_clients import sync_client


class QueueDepth(msgspec.Struct, frozen=True):
    queue: str
    ready: int  # waiting for a worker
    in_flight: int  # fetched by a worker, not yet acknowledged (running or prefetched)
    delayed: int  # waiting out a retry backoff
    dead_letters: int  # failed for good, kept a week by the broker


@lru_cache(maxsize=1)
def _client() -> redis.Redis:
    return sync_client(get_settings().redis_url)


def queue_depths(
    client: redis.Redis | None = None, namespace: str | None = None
) -> list[QueueDepth]:
    client = client or _client()
    ns = namespace or get_settings().broker_namespace
    pipe = client.pipeline(transaction=False)
    for queue in QUEUES:
        pipe.llen(f"{ns}:{queue}")
        pipe.hlen(f"{ns}:{queue}.msgs")
        pipe.hlen(f"{ns}:{queue}.DQ.msgs")
        pipe.hlen(f"{ns}:{queue}.XQ.msgs")
    counts = pipe.execute()
    depths = []
    for i, queue in enumerate(QUEUES):
        ready, held, delayed, dead = counts[i * 4 : i * 4 + 4]
        depths.append(QueueDepth(queue, ready, max(0, held - ready), delayed, dead))
    return depths


def pending_message_ids(
    client: redis.Redis | None = None, namespace: str | None = None
) -> set[str]:
    """The ids of every message Redis still holds for delivery (ready, in flight or delayed)."""
    client = client or _client()
    ns = namespace or get_settings().broker_namespace
    ids: set[str] = set()
    for queue in QUEUES:
        for key in (f"{ns}:{queue}.msgs", f"{ns}:{queue}.DQ.msgs"):
            for _, payload in client.hscan_iter(key, count=1000):
                try:
                    ids.add(str(json.loads(payload)["message_id"]))
                except (ValueError, KeyError, TypeError):
                    continue
    return ids
