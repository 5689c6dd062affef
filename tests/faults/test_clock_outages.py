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
from sqlalchemy import create_engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from models import Content, Job, User
from settings import get_settings
from tests.faults.conftest import PrivatePostgres, PrivateRedis
from tests.jobs.conftest import ROOT, wait_until
from workers.clock.schedule import alive_file

pytestmark = pytest.mark.chaos

CNT = str(Path(sys.executable).with_name("cnt"))
# The clock's quickest task (every 2 s) leaves this lock behind each time it runs.
TICK_LOCK = "clock:workers.cdn_invalidation:flush_invalidations"


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


def _stalled_content(cluster: PrivatePostgres) -> str:
    """Content `processing` with no job at all: the sweeper advances its plan."""
    engine = create_engine(cluster.sync_url)
    try:
        with Session(engine) as session:
            owner = User(email="clock@church.test", password_hash="x", role="creator")
            session.add(owner)
            session.flush()
            content = Content(
                owner_id=owner.id, kind="sermon", title="Lost advance", status="processing",
                visibility="private", generation=1, source_key="sources/x/tone.m4a",
            )  # fmt: skip
            session.add(content)
            session.commit()
            return content.id
    finally:
        engine.dispose()


def _jobs_of(cluster: PrivatePostgres, content_id: str) -> int:
    engine = create_engine(cluster.sync_url)
    try:
        with Session(engine) as session:
            return len(session.scalars(select(Job.id).where(Job.content_id == content_id)).all())
    except OperationalError:
        return 0
    finally:
        engine.dispose()


def test_the_clock_survives_a_postgresql_outage_and_sweeps_again(
    clean_db: None, private_postgres: PrivatePostgres, private_redis: PrivateRedis
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": private_postgres.async_url,
        "REDIS_URL": private_redis.url,
        "JOB_RESEND_AFTER_S": "1",
    }
    clock = subprocess.Popen([CNT, "clock"], env=env, cwd=ROOT)
    try:
        wait_until(lambda: _ticked(private_redis.url), timeout=30, what="the clock's first tick")
        time.sleep(16)  # a sweep (every 15 s) has filled the clock's pool with connections
        private_postgres.stop()
        time.sleep(4)
        assert clock.poll() is None, "the clock exited during the PostgreSQL outage"
        private_postgres.start()  # every pooled connection of the clock is now dead
        content_id = _stalled_content(private_postgres)
        wait_until(
            lambda: _jobs_of(private_postgres, content_id) > 0,
            timeout=60,
            what="a sweep after the outage to advance the stalled content",
        )
        assert clock.poll() is None
    finally:
        clock.terminate()
        clock.wait(timeout=10)
