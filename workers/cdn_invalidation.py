"""Coalesced CDN invalidation: callers add paths to a Redis set; one flush per window turns the
set into ONE CloudFront invalidation, and records it on the contents it covers.

Why: a burst of reprocesses, publishes and feed changes would otherwise make one invalidation
each, and CloudFront allows only 3,000 paths (15 wildcards) in progress per distribution.

Keys (under the broker namespace):
- `cdn:pending` (set of paths) and `cdn:pending-contents` (set of content ids): what is waiting;
- `cdn:batch` (hash): a drained batch being sent, with its caller reference. It stays until
  CloudFront accepted it, so a flush that failed or died half-way sends the same batch with the
  same reference: CloudFront answers with the invalidation it already made, never a second one;
- `cdn:in-flight` (hash id → JSON): invalidations not yet completed, for the quotas and statuses;
- `cdn:window` : taken for `invalidation_window_s` by each flush that sends.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from typing import Any

import redis
from sqlalchemy import select, update

from models import Content
from pipelines.errors import PipelineError
from pipelines.storage.cdn import (
    MAX_PATHS_IN_FLIGHT,
    MAX_WILDCARDS_IN_FLIGHT,
    Invalidation,
    caller_reference,
    collapse_paths,
    create_invalidation,
    get_invalidation,
    is_wildcard,
)
from settings import Settings, get_settings
from workers.db import session_scope
from workers.pubsub import _client, content_channel, publish

__all__ = ["flush_invalidations", "pending_paths", "request_invalidation"]

log = logging.getLogger(__name__)

# Take the pending sets and park them as the batch, atomically: a path added meanwhile waits for
# the next window instead of being lost between SMEMBERS and DEL.
_DRAIN = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local paths = redis.call('SMEMBERS', KEYS[1])
if #paths == 0 then return 0 end
local contents = redis.call('SMEMBERS', KEYS[2])
redis.call('HSET', KEYS[3], 'paths', cjson.encode(paths), 'contents', cjson.encode(contents),
           'window', ARGV[1])
redis.call('DEL', KEYS[1], KEYS[2])
return #paths
"""


def _key(name: str) -> str:
    return f"{get_settings().broker_namespace}:cdn:{name}"


def _redis() -> redis.Redis:
    return _client()


def _text(reply: bytes | str) -> str:
    """A reply as text: redis-py types replies as bytes or str (decode_responses decides)."""
    return reply.decode() if isinstance(reply, bytes) else reply


def request_invalidation(paths: Iterable[str], content_id: str | None = None) -> None:
    """Ask for `paths` (CDN paths, `/media/...`; a trailing `/` means the whole prefix) to be
    invalidated within the next window. Nothing to do without a distribution."""
    if not get_settings().cloudfront_distribution_id:
        return
    items = sorted({"/" + p.lstrip("/") for p in paths if p})
    if not items:
        return
    pipe = _redis().pipeline(transaction=True)
    pipe.sadd(_key("pending"), *items)
    if content_id:
        pipe.sadd(_key("pending-contents"), content_id)
    pipe.execute()


def pending_paths() -> list[str]:
    return sorted(_text(p) for p in _redis().smembers(_key("pending")))


def flush_invalidations(now: float | None = None) -> Invalidation | None:
    """Send what is waiting as one invalidation, at most once per window; refresh the statuses
    of those in flight. Periodic (`cnt clock`, every 2 s) and called after each invalidate step."""
    settings = get_settings()
    if not settings.cloudfront_distribution_id:
        return None
    now = time.time() if now is None else now
    client = _redis()
    window_s = max(0.1, settings.invalidation_window_s)
    window = int(now // window_s)
    if not client.set(_key("window"), str(window), nx=True, px=int(window_s * 1000)):
        return None  # another flush ran within this window
    # Once per window, not per tick: GetInvalidation has its own (low) request rate.
    _refresh_in_flight(settings)
    drained = client.register_script(_DRAIN)(
        keys=[_key("pending"), _key("pending-contents"), _key("batch")], args=[window]
    )
    batch = {_text(k): _text(v) for k, v in client.hgetall(_key("batch")).items()}
    if not batch:
        return None
    if not drained and float(batch.get("retry_at", 0)) > now:
        return None  # a throttled batch waits for its backoff
    return _send(settings, client, batch, now)


def _send(
    settings: Settings, client: redis.Redis, batch: dict[str, str], now: float
) -> Invalidation | None:
    paths_in_flight, wildcards_in_flight = _in_flight_load(client)
    paths = collapse_paths(
        json.loads(batch["paths"]),
        max_paths=MAX_PATHS_IN_FLIGHT - paths_in_flight,
        max_wildcards=MAX_WILDCARDS_IN_FLIGHT - wildcards_in_flight,
    )
    wildcards = sum(1 for p in paths if is_wildcard(p))
    if (
        paths_in_flight + len(paths) > MAX_PATHS_IN_FLIGHT
        or wildcards_in_flight + wildcards > MAX_WILDCARDS_IN_FLIGHT
    ):
        _back_off(client, batch, now, "CloudFront's paths in flight are at their limit")
        return None
    reference = batch.get("reference") or caller_reference(paths, int(batch["window"]))
    client.hset(_key("batch"), mapping={"reference": reference, "sent": json.dumps(paths)})
    try:
        invalidation = create_invalidation(settings, paths, reference)
    except PipelineError as exc:
        if exc.transient:
            _back_off(client, batch, now, str(exc))
            return None
        # Refused for good (a bad path, a wrong distribution): drop the batch, keep the reason.
        client.delete(_key("batch"))
        _record(json.loads(batch["contents"]), {"status": "failed", "error": str(exc)})
        raise
    client.hset(
        _key("in-flight"),
        invalidation.id,
        json.dumps(
            {
                "paths": len(paths),
                "wildcards": wildcards,
                "contents": json.loads(batch["contents"]),
            }
        ),
    )
    client.delete(_key("batch"))
    _record(json.loads(batch["contents"]), _as_record(invalidation))
    log.info("CDN invalidation %s: %d paths (%s)", invalidation.id, len(paths), reference)
    return invalidation


def _back_off(client: redis.Redis, batch: dict[str, str], now: float, reason: str) -> None:
    delay = min(300.0, float(batch.get("delay", 1.0)) * 2)
    client.hset(_key("batch"), mapping={"retry_at": now + delay, "delay": delay})
    log.warning("CDN invalidation deferred %.0f s: %s", delay, reason)


def _in_flight_load(client: redis.Redis) -> tuple[int, int]:
    paths = wildcards = 0
    for raw in client.hvals(_key("in-flight")):
        entry = json.loads(raw)
        paths += int(entry["paths"])
        wildcards += int(entry["wildcards"])
    return paths, wildcards


def _refresh_in_flight(settings: Settings) -> None:
    """Ask CloudFront about invalidations in flight; completed ones free the quota and show as
    completed on their contents."""
    client = _redis()
    for raw_id, raw in client.hgetall(_key("in-flight")).items():
        invalidation_id = _text(raw_id)
        try:
            status = get_invalidation(settings, invalidation_id)
        except PipelineError:
            continue
        if status.lower() == "completed":
            entry = json.loads(raw)
            client.hdel(_key("in-flight"), invalidation_id)
            _record(entry["contents"], {"status": status}, only_id=invalidation_id)


def _as_record(invalidation: Invalidation) -> dict[str, Any]:
    return {
        "id": invalidation.id,
        "status": invalidation.status,
        "paths": invalidation.paths,
        "caller_reference": invalidation.caller_reference,
        "created": invalidation.created,
    }


def _record(content_ids: list[str], fields: dict[str, Any], only_id: str | None = None) -> None:
    """Keep the latest invalidation on each content (Content.invalidation) and say so."""
    if not content_ids:
        return
    with session_scope() as session:
        rows = session.execute(
            select(Content.id, Content.invalidation).where(Content.id.in_(content_ids))
        ).all()
        for content_id, recorded in rows:
            current = dict(recorded or {})
            if only_id is not None and current.get("id") != only_id:
                continue
            current.update(fields)
            session.execute(
                update(Content).where(Content.id == content_id).values(invalidation=current)
            )
    for content_id in content_ids:
        publish(content_channel(content_id), {"type": "invalidation", **fields})
