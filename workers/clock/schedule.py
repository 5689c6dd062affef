"""Periodic work (the Procfile's `clock`): each task is a function run every N seconds.

Tasks are idempotent and take a Redis lock per tick, so any number of clocks may run.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import redis

from settings import get_settings
from workers.redis_clients import sync_client

log = logging.getLogger(__name__)

# (every seconds, "module:function"); the functions take no arguments.
PERIODIC: list[tuple[float, str]] = [
    (15.0, "workers.clock.sweeper:recover_lost_jobs"),
    (30.0, "workers.clock.scheduled_publishing:publish_due"),
    (3600.0, "workers.clock.stale_uploads:abort_stale_uploads"),
    (3600.0, "workers.clock.orphans:sweep_orphans"),
    (60.0, "workers.clock.track_removals:resend_track_removals"),
    (2.0, "workers.cdn_invalidation:flush_invalidations"),
]


def _resolve(path: str) -> Callable[[], object] | None:
    module_name, _, attr = path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        log.warning("periodic task %s is not available", path)
        return None


def run_once(path: str, every: float, client: redis.Redis) -> None:
    """Run one task unless another clock ran it within this period.

    Nothing a task or its lock raises leaves this function: a Redis or PostgreSQL outage of any
    length costs ticks, never the clock (without it lost messages are never sent again)."""
    lock = f"{get_settings().broker_namespace}:clock:{path}"
    try:
        if not client.set(lock, "1", nx=True, px=max(1, int(every * 1000 * 0.9))):
            return
        task = _resolve(path)
        if task is not None:
            task()
    except redis.RedisError as exc:
        # An outage fails every tick until it ends: one line each, not a traceback.
        log.warning("periodic task %s skipped, Redis is unavailable: %s", path, exc)
    except Exception:
        log.exception("periodic task %s failed; it runs again next period", path)


def alive_file() -> Path:
    """Touched on every pass of the loop: a health check reads its age (docker-compose.yml)."""
    return Path(get_settings().data_dir) / "clock.alive"


def run_forever(stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    client = sync_client(get_settings().redis_url)
    due = {path: 0.0 for _, path in PERIODIC}
    alive = alive_file()
    alive.parent.mkdir(parents=True, exist_ok=True)
    while not stop.is_set():
        alive.touch()
        now = time.monotonic()
        for every, path in PERIODIC:
            if now >= due[path]:
                due[path] = now + every
                run_once(path, every, client)
        stop.wait(0.5)
