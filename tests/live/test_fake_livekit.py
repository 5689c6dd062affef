"""The fake LiveKit speaks Twirp as the server does: protobuf or protobuf JSON, grants checked."""

from __future__ import annotations

import httpx
from livekit import api

from tests.fakes.livekit_server import FakeLiveKit
from tests.live.conftest import LIVEKIT_KEY, LIVEKIT_SECRET


def bearer(grants: api.VideoGrants, secret: str = LIVEKIT_SECRET) -> dict[str, str]:
    token = api.AccessToken(LIVEKIT_KEY, secret).with_grants(grants).to_jwt()
    return {"Authorization": f"Bearer {token}"}


def test_twirp_json_calls_get_camel_case_json_answers_and_grants_are_enforced() -> None:
    with FakeLiveKit(LIVEKIT_KEY, LIVEKIT_SECRET) as fake:
        url = f"{fake.url}/twirp/livekit.RoomService/CreateRoom"
        body = {"name": "studio", "emptyTimeout": 300, "maxParticipants": 20}
        created = httpx.post(url, json=body, headers=bearer(api.VideoGrants(room_create=True)))
        assert created.status_code == 200 and created.headers["content-type"].startswith(
            "application/json"
        )
        assert created.json()["name"] == "studio" and created.json()["maxParticipants"] == 20

        denied = httpx.post(url, json=body, headers=bearer(api.VideoGrants(room_list=True)))
        assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
        forged = httpx.post(
            url, json=body, headers=bearer(api.VideoGrants(room_create=True), "x" * 40)
        )
        assert forged.status_code == 401 and forged.json()["code"] == "unauthenticated"

        other_room = bearer(api.VideoGrants(room_admin=True, room="elsewhere"))
        listed = httpx.post(
            f"{fake.url}/twirp/livekit.RoomService/ListParticipants",
            json={"room": "studio"},
            headers=other_room,
        )
        assert listed.status_code == 403  # room_admin is scoped to the token's room
        unknown = httpx.post(f"{fake.url}/twirp/livekit.RoomService/Nope", json={})
        assert unknown.status_code == 404 and unknown.json()["code"] == "bad_route"
