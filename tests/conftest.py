"""Test infrastructure on real services: a PostgreSQL database and a Redis key prefix per run,
a moto server on loopback for S3 and CloudFront, the real ffmpeg.

Settings are read from the environment once per process, so the environment is set here,
before any of our modules is imported.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

RUN_ID = secrets.token_hex(4)
RUN_DIR = Path(tempfile.mkdtemp(prefix=f"cnt-test-{RUN_ID}-"))
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_DATABASE = f"cnt_test_{RUN_ID}"
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

os.environ.update(
    {
        "ENV": "test",
        "DATA_DIR": str(RUN_DIR / "var"),
        "DATABASE_URL": PG_ADMIN_URL.replace("postgresql://", "postgresql+asyncpg://").rsplit(
            "/", 1
        )[0]
        + f"/{PG_DATABASE}",
        "REDIS_URL": REDIS_BASE,
        "BROKER_NAMESPACE": f"cnt-test-{RUN_ID}",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "CDN_SIGNING_SECRET": secrets.token_urlsafe(48),
        "PUBLIC_BASE_URL": "http://testserver.local",
        "TRANSCRIPTION_PROVIDER": "none",
        "BROKER_HEARTBEAT_TIMEOUT_MS": "5000",
        "BROKER_MAINTENANCE_CHANCE": "1000000",
        # Every test signs accounts in; tests/api/test_rate_limit.py checks the limit itself.
        "AUTH_RATE_LIMIT_PER_MINUTE": "100000",
        # Retries of transient failures after ~0.2 s, not 5 s: tests wait on real retries.
        "JOB_MIN_BACKOFF_MS": "200",
        "JOB_MAX_BACKOFF_MS": "1000",
    }
)
for name in ("STORAGE_BACKEND", "S3_ENDPOINT_URL", "CLOUDFRONT_DISTRIBUTION_ID", "CDN_BASE_URL"):
    os.environ.pop(name, None)


def _psql(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def _ensure_services() -> None:
    """`make test` starts PostgreSQL and Redis when installed but stopped; say so if not."""
    for host, port, name in (("127.0.0.1", 5432, "PostgreSQL"), ("127.0.0.1", 6379, "Redis")):
        with socket.socket() as sock:
            sock.settimeout(2)
            if sock.connect_ex((host, port)) != 0:
                pytest.exit(
                    f"{name} is not answering on {host}:{port}; run `make services`", returncode=3
                )


@pytest.fixture(scope="session", autouse=True)
def database() -> Iterator[str]:
    """One PostgreSQL database for the run, migrated with the real migrations, dropped after."""
    _ensure_services()
    from models.migrate import upgrade
    from settings import get_settings

    _psql(f'CREATE DATABASE "{PG_DATABASE}"')
    try:
        upgrade(get_settings().sync_database_url)
        yield get_settings().sync_database_url
    finally:
        from workers import db as worker_db

        worker_db.reset()
        _psql(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        _clean_redis()
        shutil.rmtree(RUN_DIR, ignore_errors=True)


def _clean_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_BASE)
    for key in client.scan_iter(match=f"cnt-test-{RUN_ID}*", count=1000):
        client.delete(key)
    client.close()


TABLES = (
    "live_events, live_sessions, uploads, transcripts, assets, jobs, content, series, "
    "refresh_tokens, users"
)


@pytest.fixture()
def clean_db(database: str) -> Iterator[None]:
    """Every test starts with empty tables."""
    from workers.db import engine

    with engine().begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {TABLES} CASCADE")
    yield


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        pytest.exit("ffmpeg is not installed; `make test` installs it", returncode=3)
    return path


@pytest.fixture(scope="session")
def media_dir() -> Path:
    folder = RUN_DIR / "media"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def make_tone(path: Path, seconds: float = 3.0, *, channels: int = 2, rate: int = 48000) -> Path:
    """A short real audio file made by ffmpeg (a tone with a little noise so encoders work)."""
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-y",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=330:duration={seconds}:sample_rate={rate}",
            "-ac",
            str(channels),
            *(["-c:a", "aac", "-b:a", "96k"] if path.suffix == ".m4a" else []),
            str(path),
        ],
        check=True,
    )
    return path


@pytest.fixture(scope="session")
def tone_m4a(media_dir: Path, ffmpeg: str) -> Path:
    return make_tone(media_dir / "tone.m4a", 4.0)


@pytest.fixture()
def app(clean_db: None):  # type: ignore[no-untyped-def]
    from api.app import create_app

    return create_app()


@pytest.fixture()
def client(app):  # type: ignore[no-untyped-def]
    from litestar.testing import TestClient

    with TestClient(app, base_url="http://testserver.local") as test_client:
        yield test_client


class Accounts:
    """Makes signed-in users of each role through the real API (admins through the CLI path)."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client

    def make(self, role: str = "creator", email: str | None = None) -> dict[str, str]:
        from cli.users import _save_user

        email = email or f"{role}-{secrets.token_hex(4)}@church.test"
        password = "a-good-long-password"
        _save_user(email, password, role)
        tokens = self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        ).json()
        me = self.client.get("/api/v1/auth/me", headers=self.auth(tokens)).json()
        return {**tokens, "email": email, "password": password, "id": me["id"]}

    @staticmethod
    def auth(user: dict[str, str]) -> dict[str, str]:
        return {"Authorization": f"Bearer {user['access_token']}"}


@pytest.fixture()
def accounts(client) -> Accounts:  # type: ignore[no-untyped-def]
    return Accounts(client)


@pytest.fixture()
def worker(clean_db: None) -> Iterator[object]:
    """A real Dramatiq worker on the real Redis broker, in this process, for one test."""
    import dramatiq

    import workers.actors  # noqa: F401  (declares the actors on the broker)

    broker = dramatiq.get_broker()
    for queue in broker.get_declared_queues():
        broker.flush(queue)
    running = dramatiq.Worker(broker, worker_threads=4, worker_timeout=100)
    running.start()
    try:
        yield running
    finally:
        running.stop(timeout=10_000)
        for queue in broker.get_declared_queues():
            broker.flush(queue)


def wait_for_status(
    client, content_id: str, headers: dict[str, str], statuses: set[str], timeout: float = 120
) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Poll the API until the content reaches one of `statuses` (no timing is asserted)."""
    import time

    deadline = time.monotonic() + timeout
    body: dict = {}  # type: ignore[type-arg]
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/content/{content_id}", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        if body.get("status") in statuses:
            return body
        time.sleep(0.25)
    raise AssertionError(f"content stayed {body.get('status')}: {body}")


def wait_for_jobs_done(
    client, content_id: str, headers: dict[str, str], timeout: float = 120
) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """Poll until none of the content's jobs is queued or running; returns the jobs. Content is
    `ready` once it plays, while steps after publishing (captions) may still be on their way."""
    import time

    deadline = time.monotonic() + timeout
    jobs: list[dict] = []  # type: ignore[type-arg]
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/content/{content_id}", headers=headers)
        assert response.status_code == 200, response.text
        jobs = response.json()["jobs"]
        if all(job["status"] not in ("queued", "running") for job in jobs):
            return jobs
        time.sleep(0.25)
    raise AssertionError(f"jobs still unfinished: {jobs}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_api(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """The real API under uvicorn on a loopback port; returns the process and its base URL."""
    import sys
    import time

    import httpx

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.asgi:app", "--host", "127.0.0.1"]
        + ["--port", str(port), "--log-level", "warning"],
        env={**env, "PUBLIC_BASE_URL": base},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("uvicorn did not start")


@contextmanager
def serve_api() -> Iterator[str]:
    """The real API under uvicorn, with the environment as it is now; stopped afterwards."""
    process, base = start_api(dict(os.environ))
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture()
def live_api(clean_db: None) -> Iterator[str]:
    """The real API under uvicorn on a loopback port, with this run's environment."""
    with serve_api() as base:
        yield base
