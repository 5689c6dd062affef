"""Restarts in the middle of work lose no job: Redis (a private one, since ours runs without
persistence and forgets everything) while messages wait, and PostgreSQL while a step runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from models import Content
from settings import get_settings
from tests.conftest import free_port, wait_for_status
from tests.jobs.conftest import ROOT, job_row, upload, wait_until
from workers.db import session_scope

pytestmark = pytest.mark.chaos


class PrivateRedis:
    """A redis-server of this test's own, configured like production's: no persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        wait_until(lambda: _pings(client), timeout=10, what="redis-server to answer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@pytest.fixture()
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def _processing_content(owner_id: str, source: Path) -> str:
    key = "sources/chaos/tone.m4a"
    target = get_settings().storage_path / key
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    with session_scope() as session:
        content = Content(
            owner_id=owner_id, kind="sermon", title="Through the storm", status="processing",
            visibility="private", generation=1, source_key=key,
        )  # fmt: skip
        session.add(content)
        session.flush()
        return content.id


def test_a_redis_restart_while_messages_wait_loses_no_job(
    accounts, worker_processes, private_redis, tone_m4a
) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "REDIS_URL": private_redis.url, "JOB_RESEND_AFTER_S": "1"}
    owner = accounts.make("creator")
    content_id = _processing_content(owner["id"], tone_m4a)
    # The orchestrator commits the probe's job and sends its message; no worker is up yet.
    code = (
        "import workers.actors; from workers.orchestrator import advance_content; "
        f"advance_content({content_id!r})"
    )
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True)
    namespace = get_settings().broker_namespace
    assert redis.Redis.from_url(private_redis.url).llen(f"{namespace}:media") == 1

    private_redis.stop()  # everything Redis held is gone
    private_redis.start()
    assert redis.Redis.from_url(private_redis.url).llen(f"{namespace}:media") == 0
    time.sleep(1.5)  # older than JOB_RESEND_AFTER_S: the sweeper will consider it lost

    worker_processes(["transcode", "media", "io", "default"], REDIS_URL=private_redis.url)
    clock = subprocess.Popen(
        [str(Path(sys.executable).with_name("cnt")), "clock"], env=env, cwd=ROOT
    )
    try:
        wait_until(
            lambda: _content_status(content_id) in ("ready", "failed"), timeout=120, what="ready"
        )
    finally:
        clock.terminate()
        clock.wait(timeout=10)
    assert _content_status(content_id) == "ready"
    probe = job_row(content_id, "probe")
    assert probe.status == "succeeded" and probe.attempts == 1


def _content_status(content_id: str) -> str:
    with session_scope() as session:
        return session.get(Content, content_id).status


def _restart_postgresql() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        timeout=60,
    )


@pytest.mark.skipif(
    not Path("/etc/postgresql").is_dir(), reason="needs the local PostgreSQL cluster"
)
def test_a_postgresql_restart_during_an_encode_loses_no_job(
    client, accounts, media_worker, worker_processes, long_video
) -> None:  # type: ignore[no-untyped-def]
    headers = accounts.auth(accounts.make("creator"))
    worker_processes(["transcode"], X264_PRESET="medium")
    content_id = upload(client, headers, long_video)
    wait_until(
        lambda: (
            (j := job_row(content_id, "encode_video")) is not None
            and j.status == "running"
            and j.progress > 0.02
        ),
        what="the encode to run",
    )
    _restart_postgresql()

    ready = wait_for_status(client, content_id, headers, {"ready", "failed"}, timeout=150)
    assert ready["status"] == "ready", ready
    encode = job_row(content_id, "encode_video")
    # The heartbeat missed a beat or two and the outcome waited for the database: one attempt.
    assert encode.status == "succeeded" and encode.attempts == 1
