"""`cnt clock` rides out a Redis outage of any length: it keeps running while Redis is gone and
takes its ticks again by itself once Redis is back, with nobody restarting it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from settings import get_settings
from tests.faults.conftest import PrivateRedis
from tests.jobs.conftest import ROOT, wait_until
from workers.scheduler import alive_file

pytestmark = pytest.mark.chaos

CNT = str(Path(sys.executable).with_name("cnt"))
# The clock's quickest task (every 2 s) leaves this lock behind each time it runs.
TICK_LOCK = "clock:workers.invalidation:flush_invalidations"


def _ticked(url: str) -> bool:
    try:
        return bool(
            redis.Redis.from_url(url).exists(f"{get_settings().broker_namespace}:{TICK_LOCK}")
        )
    except redis.ConnectionError:
        return False


def test_the_clock_survives_a_redis_outage_and_resumes_its_ticks(
    clean_db: None, private_redis: PrivateRedis
) -> None:
    env = {**os.environ, "REDIS_URL": private_redis.url}
    clock = subprocess.Popen([CNT, "clock"], env=env, cwd=ROOT)
    try:
        wait_until(lambda: _ticked(private_redis.url), timeout=30, what="the clock's first tick")
        private_redis.stop()
        time.sleep(4)  # twice the quickest period: every task meets the outage at least once
        assert clock.poll() is None, "the clock exited during the Redis outage"
        # Its loop kept turning (the health check of docker-compose.yml reads this file).
        assert time.time() - alive_file().stat().st_mtime < 2
        private_redis.start()  # an empty Redis: the lock can only come from a new tick
        wait_until(lambda: _ticked(private_redis.url), timeout=30, what="a tick after the outage")
        assert clock.poll() is None
    finally:
        clock.terminate()
        clock.wait(timeout=10)
