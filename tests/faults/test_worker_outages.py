"""A worker process rides out a Redis outage: started before Redis goes away, it is still there
when Redis comes back and takes the next sermon through, with nobody restarting it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from models import Content
from settings import get_settings
from tests.faults.conftest import PrivateRedis
from tests.jobs.conftest import ROOT, WorkerProcess, wait_until
from tests.jobs.conftest import worker_processes as worker_processes  # the fixture
from workers.db import session_scope

pytestmark = pytest.mark.chaos


def _processing_content(owner_id: str, source: Path) -> str:
    key = "sources/outage/tone.m4a"
    target = get_settings().storage_path / key
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())
    with session_scope() as session:
        content = Content(
            owner_id=owner_id, kind="sermon", title="After the storm", status="processing",
            visibility="private", generation=1, source_key=key,
        )  # fmt: skip
        session.add(content)
        session.flush()
        return content.id


def _content_status(content_id: str) -> str:
    with session_scope() as session:
        content = session.get(Content, content_id)
        return content.status if content is not None else "gone"


def test_a_worker_rides_out_a_redis_outage(
    accounts: Any,
    worker_processes: Callable[..., WorkerProcess],
    private_redis: PrivateRedis,
    tone_m4a: Path,
) -> None:
    env = {**os.environ, "REDIS_URL": private_redis.url}
    worker = worker_processes(["transcode", "media", "io", "default"], REDIS_URL=private_redis.url)
    time.sleep(3)  # the worker is up and polling its queues
    private_redis.stop()
    time.sleep(5)  # longer than the broker client's retries
    assert worker.process.poll() is None, "the worker exited during the Redis outage"
    private_redis.start()

    content_id = _processing_content(accounts.make("creator")["id"], tone_m4a)
    code = f"from workers.orchestrator import advance_content; advance_content({content_id!r})"
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True)
    wait_until(
        lambda: _content_status(content_id) in ("ready", "failed"), timeout=120, what="ready"
    )
    assert _content_status(content_id) == "ready"
    assert worker.process.poll() is None
