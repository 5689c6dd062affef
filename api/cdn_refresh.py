"""Tell the CDN which URLs a request changed, without failing the request when the CDN is down."""

from __future__ import annotations

import logging

import anyio

from settings import Settings
from workers.feed_paths import feed_paths, invalidate_now

__all__ = ["feed_paths", "invalidate"]

log = logging.getLogger(__name__)


async def invalidate(settings: Settings, paths: list[str]) -> None:
    """Best effort: the change is committed; at worst the CDN serves the old copy a while."""
    if not paths:
        return
    try:
        await anyio.to_thread.run_sync(invalidate_now, settings, sorted(set(paths)))
    except Exception:
        log.exception("CDN invalidation of %s failed", paths)
