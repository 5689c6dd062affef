"""LiveKit webhooks: only LiveKit's signature on this exact body is accepted, each event once."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from livekit import api
from sqlalchemy import func, select

from models import LiveEvent
from tests.fakes.livekit_server import sign_webhook
from tests.live.conftest import (
    LIVEKIT_KEY,
    LIVEKIT_SECRET,
    send_webhook,
    wait_until,
    webhook_event,
)
from tests.live.test_sessions_and_tokens import schedule

HOOK = "/api/v1/live/webhooks"


def events_recorded() -> int:
    from workers.db import session_scope

    with session_scope() as db:
        return int(db.scalar(select(func.count()).select_from(LiveEvent)) or 0)


def read(client: Any, session: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    return client.get(f"/api/v1/live/sessions/{session['id']}", headers=headers).json()  # type: ignore[no-any-return]


def test_forged_unsigned_and_tampered_webhooks_are_refused_and_change_nothing(
    client, accounts
) -> None:
    host = accounts.make("creator")
    headers = accounts.auth(host)
    session = schedule(client, headers, record=False)
    event = webhook_event("room_started", session["room_name"])

    forged_body, forged = sign_webhook(event, LIVEKIT_KEY, "not-our-secret-" * 3)
    tampered_body, signed = sign_webhook(event, LIVEKIT_KEY, LIVEKIT_SECRET)
    other_key_body, other_key = sign_webhook(event, "APIsomeoneElse", LIVEKIT_SECRET)
    tampered = json.loads(tampered_body)
    tampered["room"]["name"] = "cnt-another-room"
    attempts = [
        (forged_body, forged),  # signed with another secret
        (other_key_body, other_key),  # issued for another API key
        (forged_body, {"Content-Type": "application/webhook+json"}),  # unsigned
        (json.dumps(tampered).encode(), signed),  # a signature of another body
        (
            tampered_body,
            {"Authorization": f"Bearer {signed['Authorization']}"},
        ),  # not LiveKit's form
    ]
    for body, hook_headers in attempts:
        response = client.post(HOOK, content=body, headers=hook_headers)
        assert response.status_code == 401, response.text
        assert response.json()["code"] in ("invalid_signature", "unauthorized")
    assert events_recorded() == 0
    assert read(client, session, headers)["status"] == "scheduled"


def test_a_body_hash_claim_of_other_bytes_is_refused(client, accounts) -> None:
    session = schedule(client, accounts.auth(accounts.make("creator")), record=False)
    body, _ = sign_webhook(
        webhook_event("room_started", session["room_name"]), LIVEKIT_KEY, LIVEKIT_SECRET
    )
    wrong = base64.b64encode(hashlib.sha256(body + b" ").digest()).decode()
    token = api.AccessToken(LIVEKIT_KEY, LIVEKIT_SECRET).with_sha256(wrong).to_jwt()
    response = client.post(HOOK, content=body, headers={"Authorization": token})
    assert response.status_code == 401 and events_recorded() == 0


def test_a_replayed_webhook_is_applied_once(client, accounts) -> None:
    host = accounts.make("creator")
    headers = accounts.auth(host)
    session = schedule(client, headers, record=False)
    assert (
        send_webhook(client, webhook_event("room_started", session["room_name"])).json()["status"]
        == "applied"
    )
    joined = webhook_event(
        "participant_joined",
        session["room_name"],
        participant=api.ParticipantInfo(identity=host["id"], name="Pastor"),
    )
    first = send_webhook(client, joined)
    again = send_webhook(client, joined)  # LiveKit retries with the same id
    assert first.json() == {"status": "applied", "id": joined.id}
    assert again.status_code == 200 and again.json() == {"status": "duplicate", "id": joined.id}
    state = read(client, session, headers)
    assert state["status"] == "live" and state["participant_count"] == 1
    assert events_recorded() == 2


def test_participants_are_counted_and_recorders_are_not_people(client, accounts) -> None:
    headers = accounts.auth(accounts.make("creator"))
    session = schedule(client, headers, record=False)
    room = session["room_name"]
    send_webhook(client, webhook_event("room_started", room))
    for identity in ("a", "b"):
        send_webhook(
            client,
            webhook_event(
                "participant_joined", room, participant=api.ParticipantInfo(identity=identity)
            ),
        )
    recorder = api.ParticipantInfo(identity="EG_x", kind=api.ParticipantInfo.Kind.EGRESS)
    send_webhook(client, webhook_event("participant_joined", room, participant=recorder))
    send_webhook(
        client,
        webhook_event("participant_left", room, participant=api.ParticipantInfo(identity="a")),
    )
    assert read(client, session, headers)["participant_count"] == 1
    send_webhook(client, webhook_event("room_finished", room))
    state = read(client, session, headers)
    assert state["status"] == "ended" and state["participant_count"] == 0 and state["ended_at"]


def test_a_late_room_started_does_not_reopen_an_ended_service(client, accounts) -> None:
    headers = accounts.auth(accounts.make("creator"))
    session = schedule(client, headers, record=False)
    room = session["room_name"]
    started = webhook_event("room_started", room)
    finished = webhook_event("room_finished", room)
    started.created_at = finished.created_at - 60
    send_webhook(client, finished)
    send_webhook(client, started)  # delivered late, happened earlier
    assert read(client, session, headers)["status"] == "ended"


def test_webhooks_for_rooms_we_do_not_know_are_acknowledged_and_ignored(client) -> None:
    response = send_webhook(client, webhook_event("room_started", "someone-elses-room"))
    assert response.status_code == 200 and response.json()["status"] == "ignored"


def test_without_s3_the_session_says_recording_needs_s3(client, accounts, worker) -> None:
    headers = accounts.auth(accounts.make("creator"))
    session = schedule(client, headers, record=True)
    send_webhook(client, webhook_event("room_started", session["room_name"]))
    state = wait_until(
        lambda: (s := read(client, session, headers))["egress_status"] == "failed" and s,
        "the recording to fail",
    )
    assert "needs S3" in state["egress_error"] and state["status"] == "live"


def test_a_failed_egress_is_visible_and_an_admin_restarts_it(
    client, accounts, livekit, s3, worker
) -> None:
    host, admin = accounts.make("creator"), accounts.make("admin")
    headers = accounts.auth(host)
    session = schedule(client, headers, record=True)
    client.post(f"/api/v1/live/sessions/{session['id']}/token", headers=headers)
    send_webhook(client, webhook_event("room_started", session["room_name"]))
    first = wait_until(lambda: list(livekit.egresses), "an egress to start")[0]
    wait_until(lambda: read(client, session, headers)["egress_id"] == first, "the egress id")
    request = livekit.egresses[first].room_composite
    output = request.file_outputs[0]
    assert request.room_name == session["room_name"] and request.layout == "speaker"
    assert output.filepath.startswith(f"recordings/{session['id']}/")
    assert output.s3.bucket == "cnt-live-test" and output.s3.force_path_style
    assert output.s3.endpoint.startswith("http://127.0.0.1:")

    failed = livekit.fail_egress(first, "Chrome crashed")
    send_webhook(client, webhook_event("egress_ended", session["room_name"], egress_info=failed))
    state = read(client, session, headers)
    assert state["egress_status"] == "failed" and state["egress_error"] == "Chrome crashed"

    retry = f"/api/v1/live/sessions/{session['id']}/recording/retry"
    assert client.post(retry, headers=headers).status_code == 403
    accepted = client.post(retry, headers=accounts.auth(admin))
    assert accepted.status_code == 202, accepted.text
    second = wait_until(lambda: [e for e in livekit.egresses if e != first], "a new egress")[0]
    state = wait_until(
        lambda: (s := read(client, session, headers))["egress_id"] == second and s, "the new egress"
    )
    assert state["egress_status"] == "starting" and state["egress_error"] is None


def test_egress_events_track_the_recording_and_a_late_update_does_not_undo_its_end(
    client, accounts
) -> None:
    headers = accounts.auth(accounts.make("creator"))
    session = schedule(client, headers, record=False)
    room = session["room_name"]

    def egress(name: str, status: Any, **fields: Any) -> api.WebhookEvent:
        info = api.EgressInfo(egress_id="EG_one", room_name=room, status=status, **fields)
        event = webhook_event(name, "", egress_info=info)
        event.ClearField("room")  # egress events name their room in egress_info only
        return event

    send_webhook(client, egress("egress_started", api.EgressStatus.EGRESS_STARTING))
    assert read(client, session, headers)["egress_status"] == "starting"
    send_webhook(client, egress("egress_updated", api.EgressStatus.EGRESS_ACTIVE))
    assert read(client, session, headers)["egress_status"] == "active"
    late = egress("egress_updated", api.EgressStatus.EGRESS_ACTIVE)
    send_webhook(
        client, egress("egress_ended", api.EgressStatus.EGRESS_ABORTED, error="stopped by admin")
    )
    send_webhook(client, late)
    state = read(client, session, headers)
    assert state["egress_id"] == "EG_one" and state["egress_status"] == "aborted"
    assert state["egress_error"] == "stopped by admin" and state["content_id"] is None
