"""While Redis or PostgreSQL is down the API answers 503 naming the part that is down (never a
500), a change it committed answers success (the sweeper sends its message later), and once the
part is back every request works again without restarting anything."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from api.auth.passwords import hash_password
from models import Content, Job, LiveSession, User
from settings import get_settings
from tests.conftest import Accounts, start_api
from tests.faults.conftest import PrivatePostgres, PrivateRedis
from tests.jobs.conftest import ROOT, content_with_jobs, job_row, wait_until
from workers.db import session_scope
from workers.pubsub import wire_channel

pytestmark = pytest.mark.chaos

PASSWORD = "a-good-long-password"
CNT = str(Path(sys.executable).with_name("cnt"))


@contextmanager
def api_with(**env: str) -> Iterator[httpx.Client]:
    process, base = start_api({**os.environ, **env})
    try:
        with httpx.Client(base_url=f"{base}/api/v1", timeout=15) as http:
            yield http
    finally:
        process.terminate()
        process.wait(timeout=15)


def _unavailable(response: httpx.Response, part: str) -> None:
    assert response.status_code == 503, (response.status_code, response.text)
    body = response.json()
    assert body["code"] == f"{part}_unavailable", body
    assert body["detail"]
    assert response.headers.get("retry-after")


def test_a_redis_outage_answers_503_and_a_committed_upload_is_sent_by_the_sweeper(
    accounts: Accounts, private_redis: PrivateRedis, tone_m4a: Path
) -> None:
    creator, admin = accounts.make("creator"), accounts.make("admin")
    with api_with(REDIS_URL=private_redis.url) as http:
        mine, boss = Accounts.auth(creator), Accounts.auth(admin)
        draft = http.post("/content", json={"title": "Storm sermon"}, headers=mine).json()
        _, failed = content_with_jobs({"waveform": {"status": "failed", "error": "S3 said 503"}})
        service = _failed_recording(admin["id"])
        private_redis.stop()

        signed = {"email": creator["email"], "password": PASSWORD}
        _unavailable(http.post("/auth/login", json=signed), "redis")
        _unavailable(
            http.post("/auth/register", json={**signed, "email": "x@church.test"}), "redis"
        )
        _unavailable(http.get("/admin/queues", headers=boss), "redis")
        _unavailable(http.get(f"/content/{draft['id']}/events", headers=mine), "redis")
        # The source is stored and its generation committed before the message is sent: the
        # upload succeeded, whatever Redis does.
        sent = http.put(
            f"/content/{draft['id']}/source", content=tone_m4a.read_bytes(), headers=mine
        )
        assert sent.status_code == 202, sent.text
        assert http.get(f"/content/{draft['id']}", headers=mine).json()["status"] == "processing"
        # So is an admin's retry: the job is queued again; its message waits for the sweeper.
        retried = http.post(f"/admin/jobs/{failed['waveform']}/retry", headers=boss)
        assert retried.status_code == 202, retried.text
        # A recording's retry is only a message: refused before it marks the recording
        # requested, which would refuse the admin's next retry while nothing runs.
        again = http.post(f"/live/sessions/{service}/recording/retry", headers=boss)
        _unavailable(again, "redis")
        with session_scope() as db:
            assert db.get(LiveSession, service).egress_status == "failed"

        private_redis.start()
        # Pooled connections to the Redis that went away are renewed, not answered with 500s.
        for _ in range(5):
            assert http.post("/auth/login", json=signed).status_code == 200
            assert http.get("/admin/queues", headers=boss).status_code == 200

    clock = subprocess.Popen(
        [CNT, "clock"],
        env={**os.environ, "REDIS_URL": private_redis.url, "JOB_RESEND_AFTER_S": "1"},
        cwd=ROOT,
    )
    try:
        wait_until(lambda: job_row(draft["id"], "probe"), timeout=60, what="the plan to advance")
        queue = f"{get_settings().broker_namespace}:media"
        # The probe of the upload and the retried waveform.
        wait_until(
            lambda: redis.Redis.from_url(private_redis.url).llen(queue) == 2,
            timeout=30,
            what="the retried job's message",
        )
    finally:
        clock.terminate()
        clock.wait(timeout=10)


def _failed_recording(owner_id: str) -> str:
    """A live service whose recording failed: an admin may retry it."""
    with session_scope() as db:
        service = LiveSession(
            owner_id=owner_id, room_name=f"room-{os.urandom(4).hex()}", title="Storm service",
            status="live", record=True, egress_status="failed", egress_error="Chrome crashed",
        )  # fmt: skip
        db.add(service)
        db.flush()
        return service.id


def _seed(cluster: PrivatePostgres) -> tuple[str, str]:
    """An admin and a failed job in the private cluster; returns (admin email, job id)."""
    engine = create_engine(cluster.sync_url)
    with Session(engine) as session:
        admin = User(email="admin@church.test", password_hash=hash_password(PASSWORD), role="admin")
        session.add(admin)
        session.flush()
        content = Content(
            owner_id=admin.id, kind="sermon", title="Easter", status="failed",
            visibility="private", generation=1, media_type="audio",
        )  # fmt: skip
        session.add(content)
        session.flush()
        job = Job(
            content_id=content.id, step="waveform", generation=1, queue="media",
            status="failed", error="S3 answered 503",
        )  # fmt: skip
        session.add(job)
        session.commit()
        job_id = session.scalars(select(Job.id)).one()
    engine.dispose()
    return "admin@church.test", job_id


def test_a_postgresql_outage_answers_503_and_both_engines_recover(
    clean_db: None, private_postgres: PrivatePostgres
) -> None:
    email, job_id = _seed(private_postgres)
    with api_with(DATABASE_URL=private_postgres.async_url) as http:
        tokens = http.post("/auth/login", json={"email": email, "password": PASSWORD}).json()
        boss = {"Authorization": f"Bearer {tokens['access_token']}"}
        # The admin's retry runs on the API's blocking engine: its pool now holds a connection.
        assert http.post(f"/admin/jobs/{job_id}/retry", headers=boss).status_code == 202
        assert http.post(f"/admin/jobs/{job_id}/cancel", headers=boss).status_code == 202

        private_postgres.stop()
        _unavailable(http.get("/catalog"), "database")
        _unavailable(
            http.post("/auth/login", json={"email": email, "password": PASSWORD}), "database"
        )
        _unavailable(http.post(f"/admin/jobs/{job_id}/retry", headers=boss), "database")

        private_postgres.start()
        time.sleep(0.5)
        assert http.get("/catalog").status_code == 200
        # Every pooled connection of the blocking engine died with the restart.
        retried = http.post(f"/admin/jobs/{job_id}/retry", headers=boss)
        assert retried.status_code == 202, retried.text


def _first_event(http: httpx.Client, path: str, headers: dict[str, str], publish: Any) -> str:
    """Open the event stream at `path`, call `publish` once it is open, return the first data."""
    # A stream that stays silent (its keep-alive comes every 15 s) fails the read.
    with http.stream("GET", path, headers=headers, timeout=httpx.Timeout(20, read=8)) as stream:
        assert stream.status_code == 200, stream.read()
        time.sleep(0.5)  # the subscription is made once the stream's first bytes are asked for
        publish()
        for line in stream.iter_lines():
            if line.startswith("data:"):
                return line.removeprefix("data:").strip()
    raise AssertionError("the stream ended without an event")


def test_event_streams_work_again_after_a_redis_restart(
    accounts: Accounts, private_redis: PrivateRedis
) -> None:
    creator = accounts.make("creator")
    mine = Accounts.auth(creator)
    with api_with(REDIS_URL=private_redis.url) as http:
        draft = http.post("/content", json={"title": "Live update"}, headers=mine).json()
        channel = wire_channel(f"content:{draft['id']}")
        client = redis.Redis.from_url(private_redis.url)
        event = '{"id": 1, "type": "content", "status": "processing"}'
        path = f"/content/{draft['id']}/events"
        assert "processing" in _first_event(
            http, path, mine, lambda: client.publish(channel, event)
        )

        private_redis.stop()
        time.sleep(4)  # longer than a client's retries: the process's reading task meets it
        private_redis.start()
        client = redis.Redis.from_url(private_redis.url)
        for _ in range(3):  # each stream subscribes anew, on whatever connection the API holds
            got = _first_event(http, path, mine, lambda: client.publish(channel, event))
            assert "processing" in got
