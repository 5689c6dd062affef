"""Live tests: a fake LiveKit on loopback (the API key and secret our server also uses), signed
webhooks, a moto S3 for recordings, and real API processes under uvicorn for event streams."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from livekit import api

from tests.conftest import free_port, serve_api
from tests.fakes.livekit_server import FakeLiveKit, sign_webhook

LIVEKIT_KEY = "APIcntTest"
LIVEKIT_SECRET = secrets.token_urlsafe(32)


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables and re-read the settings; restore both afterwards."""
    from settings import get_settings

    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


@pytest.fixture()
def livekit(clean_db: None) -> Iterator[FakeLiveKit]:
    with FakeLiveKit(LIVEKIT_KEY, LIVEKIT_SECRET) as started:
        fake = started if isinstance(started, FakeLiveKit) else None
        assert fake is not None
        values = {
            "LIVEKIT_URL": fake.url.replace("http://", "ws://"),  # what clients are given
            "LIVEKIT_API_KEY": LIVEKIT_KEY,
            "LIVEKIT_API_SECRET": LIVEKIT_SECRET,
        }
        with environment(values):
            yield fake


@pytest.fixture()
def s3(livekit: FakeLiveKit) -> Iterator[Any]:
    """Storage on a moto S3 server (recordings need S3: LiveKit's egress uploads to a bucket)."""
    from moto.server import ThreadedMotoServer

    from pipelines.storage import s3_client
    from settings import get_settings

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    values = {
        "STORAGE_BACKEND": "s3",
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "S3_BUCKET": "cnt-live-test",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    try:
        with environment(values):
            client = s3_client(get_settings())
            client.create_bucket(Bucket="cnt-live-test")
            yield client
    finally:
        server.stop()


@pytest.fixture()
def app(livekit: FakeLiveKit):  # type: ignore[no-untyped-def]
    """The app, made after the LiveKit settings are in place."""
    from api.app import create_app

    return create_app()


WebhookSender = Callable[..., httpx.Response]


def webhook_event(name: str, room: str, **fields: Any) -> api.WebhookEvent:
    """A LiveKit webhook event with a fresh id and the current time, as the server makes one."""
    return api.WebhookEvent(
        event=name,
        id=f"EV_{secrets.token_hex(8)}",
        created_at=int(time.time()),
        room=api.Room(name=room, sid="RM_test"),
        **fields,
    )


def send_webhook(client: Any, event: api.WebhookEvent) -> Any:
    body, headers = sign_webhook(event, LIVEKIT_KEY, LIVEKIT_SECRET)
    return client.post("/api/v1/live/webhooks", content=body, headers=headers)


api_process = serve_api  # the real API under uvicorn, with this test's environment


def wait_until(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    """Poll `check` until it returns something truthy (no timing is asserted)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
