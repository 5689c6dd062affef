"""A recorded service from start to library, as clients watch it; and one event, many API
processes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from livekit import api
from sqlalchemy import func, select

from models import Content, Series
from tests.conftest import wait_for_status
from tests.fakes.deepgram_server import FakeDeepgram
from tests.live.conftest import api_process, environment, send_webhook, wait_until, webhook_event
from tests.live.streams import EventReader
from tests.live.test_sessions_and_tokens import schedule

STORY = [
    "snapshot",
    "room_started",
    "recording_started",
    "participant_joined",
    "egress_ended",
    "recording_ingested",
]


def make_series(owner_id: str) -> str:
    from workers.db import session_scope

    with session_scope() as db:
        series = Series(owner_id=owner_id, title="Advent 2026")
        db.add(series)
        db.flush()
        return series.id


def contents() -> int:
    from workers.db import session_scope

    with session_scope() as db:
        return int(db.scalar(select(func.count()).select_from(Content)) or 0)


@pytest.fixture()
def deepgram(livekit: object) -> Iterator[FakeDeepgram]:
    """Captions come from transcripts: a fake Deepgram answers the transcribe step."""
    fake = FakeDeepgram("dg-live-test")
    with fake:
        values = {
            "TRANSCRIPTION_PROVIDER": "deepgram",
            "DEEPGRAM_API_KEY": "dg-live-test",
            "DEEPGRAM_BASE_URL": fake.url,
        }
        with environment(values):
            yield fake


def test_a_recorded_service_becomes_a_ready_captioned_recording_with_events_in_order(
    accounts, livekit, s3, deepgram, worker, tone_m4a: Path
) -> None:
    host = accounts.make("creator")
    headers = accounts.auth(host)
    series_id = make_series(host["id"])
    with api_process() as base, httpx.Client(base_url=base, timeout=30) as http:
        session = schedule(http, headers, title="Advent Sunday", series_id=series_id)
        room, path = session["room_name"], f"/api/v1/live/sessions/{session['id']}"
        ws_base = base.replace("http://", "ws://")
        readers = [
            EventReader(f"{base}{path}/events", until="recording_ingested", headers=headers),
            EventReader(
                f"{ws_base}{path}/ws?token={host['access_token']}",
                websocket=True,
                until="recording_ingested",
            ),
        ]
        for reader in readers:
            reader.start()
        for reader in readers:
            assert reader.subscribed.wait(30)

        assert http.post(f"{path}/token", headers=headers).status_code == 200
        assert send_webhook(http, webhook_event("room_started", room)).status_code == 200
        egress_id = wait_until(lambda: list(livekit.egresses), "the egress to start")[0]
        wait_until(
            lambda: http.get(path, headers=headers).json()["egress_status"] == "starting",
            "the session to show the recording",
        )
        joined = webhook_event(
            "participant_joined", room, participant=api.ParticipantInfo(identity=host["id"])
        )
        send_webhook(http, joined)

        # The egress uploads its file to our bucket, then LiveKit says so.
        key = livekit.output_key(egress_id)
        s3.upload_file(str(tone_m4a), "cnt-live-test", key)
        info = livekit.complete_egress(egress_id, tone_m4a.stat().st_size, 4.0)
        ended = webhook_event("egress_ended", room, egress_info=info)
        assert send_webhook(http, ended).json()["status"] == "applied"
        assert send_webhook(http, ended).json()["status"] == "duplicate"

        sse, ws = (reader.result() for reader in readers)
        state = http.get(path, headers=headers).json()
        content_id = state["content_id"]
        assert content_id and state["egress_status"] == "complete"
        ready = wait_for_status(http, content_id, headers, {"ready", "failed"})
        captioned = wait_until(
            lambda: (
                (c := http.get(f"/api/v1/content/{content_id}", headers=headers).json())
                and {j["step"]: j["status"] for j in c["jobs"]}.get("captions")
                in ("succeeded", "failed")
                and c
            ),
            "the captions step",
        )

        # LiveKit says it again under a new id, and the actor runs again: nothing new.
        again = webhook_event("egress_ended", room, egress_info=info)
        assert send_webhook(http, again).json()["status"] == "applied"
        from workers.live import ingest_recording

        ingest_recording(session["id"], egress_id)
        assert contents() == 1
        assert http.get(path, headers=headers).json()["content_id"] == content_id

    assert ready["status"] == "ready", ready
    assert ready["kind"] == "recording" and ready["title"] == "Advent Sunday"
    assert ready["series_id"] == series_id and ready["owner_id"] == host["id"]
    assert ready["recorded_date"] == date.today().isoformat()
    assert ready["media_type"] == "audio" and ready["duration"] > 3
    assert any(a["kind"] == "hls_master" for a in ready["assets"])
    assert {j["step"]: j["status"] for j in captioned["jobs"]}["captions"] == "succeeded"
    assert any(a["kind"] == "captions" for a in captioned["assets"]), captioned["assets"]

    for events in (sse, ws):
        assert [e["type"] for e in events] == STORY, events
        numbers = [e["id"] for e in events]
        assert numbers == sorted(set(numbers))
        assert events[0]["session"]["status"] == "scheduled"
        assert events[1]["session"]["status"] == "live"
        assert events[3]["session"]["participant_count"] == 1
        assert events[-1]["content_id"] == content_id
    assert [e["id"] for e in sse] == [e["id"] for e in ws]


def test_a_late_joiner_first_gets_the_session_as_it_is(client, accounts) -> None:
    headers = accounts.auth(accounts.make("creator"))
    session = schedule(client, headers, record=False)
    send_webhook(client, webhook_event("room_started", session["room_name"]))
    with client.websocket_connect(
        f"/api/v1/live/sessions/{session['id']}/ws?token={headers['Authorization'][7:]}"
    ) as socket:
        first = socket.receive_json()
    assert first["type"] == "snapshot" and first["session"]["status"] == "live"
    assert first["id"] == 1  # it already reflects the one event published before


def test_two_api_processes_both_deliver_an_event_published_once(client, accounts) -> None:
    headers = accounts.auth(accounts.make("creator"))
    session = schedule(client, headers, record=False)
    path = f"/api/v1/live/sessions/{session['id']}/events"
    with api_process() as first, api_process() as second:
        readers = [EventReader(f"{base}{path}", until="room_started") for base in (first, second)]
        for reader in readers:
            reader.start()
        for reader in readers:
            assert reader.subscribed.wait(30)
        # One webhook, to one process: it publishes once on Redis.
        with httpx.Client(base_url=first) as http:
            assert (
                send_webhook(http, webhook_event("room_started", session["room_name"])).status_code
                == 200
            )
        delivered = [reader.result() for reader in readers]
    for events in delivered:
        assert [e["type"] for e in events] == ["snapshot", "room_started"]
        assert events[1]["session"]["status"] == "live"
    assert delivered[0][1]["id"] == delivered[1][1]["id"]


def test_private_session_streams_are_not_found_for_others(client, accounts) -> None:
    owner, other = accounts.make("creator"), accounts.make("listener")
    session = schedule(client, accounts.auth(owner), visibility="private")
    response = client.get(
        f"/api/v1/live/sessions/{session['id']}/events", headers=accounts.auth(other)
    )
    assert response.status_code == 404
