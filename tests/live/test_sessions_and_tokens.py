"""Scheduling services, who sees them, and the LiveKit tokens each role gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from livekit import api
from livekit.api.access_token import Claims

from tests.live.conftest import LIVEKIT_KEY, LIVEKIT_SECRET, send_webhook, webhook_event


def schedule(client: Any, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"title": "Sunday Service", "starts_at": "2026-11-29T09:30:00Z", **fields}
    response = client.post("/api/v1/live/sessions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def go_live(client: Any, session: dict[str, Any]) -> None:
    assert (
        send_webhook(client, webhook_event("room_started", session["room_name"])).status_code == 200
    )


def decode(token: str) -> Claims:
    return api.TokenVerifier(LIVEKIT_KEY, LIVEKIT_SECRET).verify(token)


def grants_of(token: str) -> api.VideoGrants:
    grants = decode(token).video
    assert grants is not None, "the token carries no video grant"
    return grants


def test_creators_schedule_services_and_listeners_cannot(client, accounts) -> None:
    creator, listener = accounts.make("creator"), accounts.make("listener")
    session = schedule(client, accounts.auth(creator), record=False)
    assert session["status"] == "scheduled"
    assert session["record"] is False and session["participant_count"] == 0
    assert session["scheduled_at"].startswith("2026-11-29T09:30:00")
    refused = client.post(
        "/api/v1/live/sessions",
        json={"title": "Mine", "starts_at": "2026-11-29T09:30:00Z"},
        headers=accounts.auth(listener),
    )
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


def test_a_series_id_that_names_no_series_is_refused_and_nothing_is_kept(client, accounts) -> None:  # type: ignore[no-untyped-def]
    headers = accounts.auth(accounts.make("creator"))
    # "" was taken for "no series" by one check and for an id by the insert: a 500 (schemathesis).
    for series_id in ("", "no-such-series"):
        body = {"title": "Vespers", "starts_at": "2026-11-29T18:00:00Z", "series_id": series_id}
        refused = client.post("/api/v1/live/sessions", json=body, headers=headers)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == "series_id names no series"
        draft = client.post(
            "/api/v1/content", json={"title": "Vespers", "series_id": series_id}, headers=headers
        )
        assert draft.status_code == 422, draft.text
    assert client.get("/api/v1/live/sessions", headers=headers).json() == []


def test_private_sessions_are_seen_only_by_their_owner_and_admins(client, accounts) -> None:
    owner, other, admin = accounts.make("creator"), accounts.make("creator"), accounts.make("admin")
    public = schedule(client, accounts.auth(owner), title="Sunday Service")
    private = schedule(client, accounts.auth(owner), title="Elders", visibility="private")

    def listed(headers: dict[str, str]) -> set[str]:
        return {s["id"] for s in client.get("/api/v1/live/sessions", headers=headers).json()}

    assert listed({}) == {public["id"]}
    assert listed(accounts.auth(other)) == {public["id"]}
    assert listed(accounts.auth(owner)) == {public["id"], private["id"]}
    assert listed(accounts.auth(admin)) == {public["id"], private["id"]}
    hidden = client.get(f"/api/v1/live/sessions/{private['id']}", headers=accounts.auth(other))
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"
    assert client.get(f"/api/v1/live/sessions/{public['id']}").json()["title"] == "Sunday Service"


def test_host_token_publishes_camera_microphone_and_screen_and_creates_the_room(
    client, accounts, livekit
) -> None:
    host = accounts.make("creator")
    session = schedule(client, accounts.auth(host))
    response = client.post(
        f"/api/v1/live/sessions/{session['id']}/token", headers=accounts.auth(host)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    claims = decode(body["token"])
    assert body["role"] == "host" and body["room"] == session["room_name"]
    assert body["url"] == livekit.url.replace("http://", "ws://")
    assert claims.identity == host["id"] and claims.name == host["email"].split("@")[0]
    grants = grants_of(body["token"])
    assert grants.room_join and grants.room == session["room_name"]
    assert grants.can_publish and grants.can_subscribe and grants.can_publish_data
    assert sorted(grants.can_publish_sources or []) == sorted(
        ["camera", "microphone", "screen_share", "screen_share_audio"]
    )
    assert not grants.room_admin and not grants.room_create
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires - datetime.now(UTC) <= timedelta(minutes=10)
    # The room was made through RoomService with our limits, on a token that may create rooms.
    created = [r for r in livekit.requests if r.path.endswith("/CreateRoom")]
    assert created[-1].json["name"] == session["room_name"]
    assert created[-1].json["emptyTimeout"] == 600 and created[-1].json["maxParticipants"] == 500
    assert session["room_name"] in livekit.rooms


def test_listener_token_subscribes_and_chats_but_never_publishes(client, accounts) -> None:
    host, listener = accounts.make("creator"), accounts.make("listener")
    session = schedule(client, accounts.auth(host))
    url = f"/api/v1/live/sessions/{session['id']}/token"
    early = client.post(url, headers=accounts.auth(listener))
    assert early.status_code == 409 and early.json()["code"] == "conflict"
    go_live(client, session)
    body = client.post(url, headers=accounts.auth(listener)).json()
    grants = grants_of(body["token"])
    assert body["role"] == "listener" and decode(body["token"]).identity == listener["id"]
    assert grants.room_join and grants.room == session["room_name"]
    assert grants.can_subscribe and grants.can_publish_data
    assert grants.can_publish is False and not grants.can_publish_sources
    assert not grants.room_admin


def test_admin_token_carries_room_admin(client, accounts) -> None:
    host, admin = accounts.make("creator"), accounts.make("admin")
    session = schedule(client, accounts.auth(host))
    body = client.post(
        f"/api/v1/live/sessions/{session['id']}/token", headers=accounts.auth(admin)
    ).json()
    grants = grants_of(body["token"])
    assert body["role"] == "admin" and grants.room_admin and grants.room == session["room_name"]
    assert grants.can_subscribe and grants.can_publish_data


def test_tokens_need_a_service_not_over(client, accounts) -> None:
    host = accounts.make("creator")
    session = schedule(client, accounts.auth(host), record=False)
    url = f"/api/v1/live/sessions/{session['id']}/token"
    # A visitor waits for the service to start (tests/live/test_guests.py: then it watches).
    assert client.post(url).status_code == 409
    go_live(client, session)
    send_webhook(client, webhook_event("room_finished", session["room_name"]))
    ended = client.post(url, headers=accounts.auth(host))
    assert ended.status_code == 409 and "ended" in ended.json()["detail"]


def test_admins_list_and_remove_participants(client, accounts, livekit) -> None:
    host, admin, listener = (accounts.make(r) for r in ("creator", "admin", "listener"))
    session = schedule(client, accounts.auth(host), record=False)
    client.post(f"/api/v1/live/sessions/{session['id']}/token", headers=accounts.auth(host))
    livekit.join(session["room_name"], host["id"], "Pastor", publisher=True)
    livekit.join(session["room_name"], listener["id"], "Visitor")
    url = f"/api/v1/live/sessions/{session['id']}/participants"
    assert client.get(url, headers=accounts.auth(listener)).status_code == 403
    people = client.get(url, headers=accounts.auth(admin)).json()
    assert {(p["identity"], p["is_publisher"]) for p in people} == {
        (host["id"], True),
        (listener["id"], False),
    }
    removed = client.delete(f"{url}/{listener['id']}", headers=accounts.auth(admin))
    assert removed.status_code == 204
    assert [p["identity"] for p in client.get(url, headers=accounts.auth(admin)).json()] == [
        host["id"]
    ]
    again = client.delete(f"{url}/{listener['id']}", headers=accounts.auth(admin))
    assert again.status_code == 404 and again.json()["code"] == "not_found"
