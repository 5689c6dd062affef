"""Visitors without an account watch a public or unlisted service that is live, with a
watch-only LiveKit token (no publishing, no chat), a limited number per address per minute."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis

from tests.fakes.livekit_server import FakeLiveKit
from tests.live.conftest import environment, send_webhook, webhook_event
from tests.live.test_sessions_and_tokens import decode, go_live, grants_of, schedule


def _forget_guests() -> None:
    """Start the address's one-minute count from zero (other tests mint guest tokens too)."""
    from settings import get_settings

    settings = get_settings()
    client = redis.Redis.from_url(settings.redis_url)
    for key in client.scan_iter(f"{settings.broker_namespace}:live_guests:*"):
        client.delete(key)


def _token_url(session: dict[str, Any]) -> str:
    return f"/api/v1/live/sessions/{session['id']}/token"


def test_a_visitor_watches_a_live_public_service_without_publishing_or_chatting(
    client, accounts
) -> None:  # type: ignore[no-untyped-def]
    _forget_guests()
    session = schedule(client, accounts.auth(accounts.make("creator")), record=False)
    early = client.post(_token_url(session))
    assert early.status_code == 409 and "not started" in early.json()["detail"]
    go_live(client, session)
    first, second = client.post(_token_url(session)), client.post(_token_url(session))
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["role"] == "guest" and body["name"] == "Guest"
    claims = decode(body["token"])
    assert claims.identity == body["identity"] and body["identity"].startswith("guest-")
    # Two visitors are two participants: one never replaces the other in the room.
    assert second.json()["identity"] != body["identity"]
    grants = grants_of(body["token"])
    assert grants.room == session["room_name"] and grants.room_join and grants.can_subscribe
    assert not grants.can_publish and not grants.can_publish_data and not grants.room_admin
    # The chat stays with signed-in members.
    chat = client.post(f"/api/v1/live/sessions/{session['id']}/chat", json={"text": "hi"})
    assert chat.status_code == 401
    send_webhook(client, webhook_event("room_finished", session["room_name"]))
    ended = client.post(_token_url(session))
    assert ended.status_code == 409 and "ended" in ended.json()["detail"]


def test_a_private_service_is_not_found_by_visitors(client, accounts) -> None:  # type: ignore[no-untyped-def]
    session = schedule(
        client, accounts.auth(accounts.make("creator")), record=False, visibility="private"
    )
    go_live(client, session)
    hidden = client.post(_token_url(session))
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"


@pytest.fixture()
def strict_client(livekit: FakeLiveKit, clean_db: None) -> Iterator[Any]:
    """An app that lets 2 guest tokens a minute through per address."""
    from litestar.testing import TestClient

    from api.app import create_app

    # Entered in order: the app is made once the setting is in place.
    with (
        environment({"LIVE_GUEST_TOKENS_PER_MINUTE": "2"}),
        TestClient(create_app(), base_url="http://testserver.local") as test_client,
    ):
        yield test_client


def test_guest_tokens_are_limited_per_address(strict_client, client, accounts) -> None:  # type: ignore[no-untyped-def]
    _forget_guests()
    session = schedule(client, accounts.auth(accounts.make("creator")), record=False)
    go_live(client, session)
    url = _token_url(session)
    assert [strict_client.post(url).status_code for _ in range(2)] == [200, 200]
    refused = strict_client.post(url)
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert "sign in" in refused.json()["detail"]
    # Signed-in members are not counted with the visitors.
    member = accounts.make("listener")
    signed_in = strict_client.post(url, headers=accounts.auth(member))
    assert signed_in.status_code == 200 and signed_in.json()["role"] == "listener"


def test_a_server_can_keep_services_for_members(livekit, clean_db, accounts, client) -> None:  # type: ignore[no-untyped-def]
    from litestar.testing import TestClient

    from api.app import create_app

    session = schedule(client, accounts.auth(accounts.make("creator")), record=False)
    go_live(client, session)
    with (
        environment({"LIVE_GUESTS": "false"}),
        TestClient(create_app(), base_url="http://testserver.local") as members_only,
    ):
        refused = members_only.post(_token_url(session))
        assert refused.status_code == 403 and "sign in" in refused.json()["detail"]
        page = members_only.get(f"/live/{session['id']}")
        assert 'class="join"' not in page.text and "to listen" in page.text
    page = client.get(f"/live/{session['id']}")
    assert 'class="join"' in page.text
