"""A LiveKit webhook that arrives while Redis is down is refused before it is applied, so
LiveKit's retry applies it later: once applied, a retry is a duplicate, and what the event
should have started (the recording's egress) would never be sent."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from tests.conftest import Accounts
from tests.faults.conftest import PrivateRedis
from tests.live.conftest import environment, send_webhook, webhook_event
from tests.live.conftest import livekit as livekit  # the fake LiveKit server's fixture

pytestmark = pytest.mark.chaos


def test_a_webhook_during_a_redis_outage_is_applied_on_livekits_retry(
    livekit: Any, private_redis: PrivateRedis
) -> None:
    with (
        environment({"REDIS_URL": private_redis.url}),
        TestClient(create_app(), base_url="http://testserver.local") as client,
    ):
        accounts = Accounts(client)
        host = accounts.auth(accounts.make("creator"))
        service = {"title": "Sunday", "starts_at": "2030-01-06T10:00:00Z", "record": False}
        session = client.post("/api/v1/live/sessions", json=service, headers=host).json()
        started = webhook_event("room_started", session["room_name"])

        private_redis.stop()
        refused = send_webhook(client, started)
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "redis_unavailable"

        private_redis.start()
        retried = send_webhook(client, started)  # LiveKit sends the same event again
        assert retried.json() == {"status": "applied", "id": started.id}
        state = client.get(f"/api/v1/live/sessions/{session['id']}", headers=host).json()
        assert state["status"] == "live"
