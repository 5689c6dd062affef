"""Live chat on the real API, PostgreSQL, Redis and a fake LiveKit: messages in order through
two API processes, into the LiveKit room on `lk.chat`, moderated by the host, and kept with the
recording at the recording's clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
from livekit import api
from sqlalchemy import update

from models import LiveSession
from tests.conftest import Accounts
from tests.fakes.livekit_server import FakeLiveKit
from tests.live.conftest import api_process, send_webhook, wait_until, webhook_event
from tests.live.streams import EventReader
from tests.live.test_sessions_and_tokens import go_live, schedule
from tests.sermons import make_sermon
from workers.db import session_scope

V1 = "/api/v1"


def _chat(client, session: dict, user: dict[str, str], text: str) -> httpx.Response:  # type: ignore[no-untyped-def,type-arg]
    return client.post(  # type: ignore[no-any-return]
        f"{V1}/live/sessions/{session['id']}/chat", json={"text": text}, headers=Accounts.auth(user)
    )


def test_chat_messages_persist_and_replay_at_the_recordings_clock(
    client, accounts: Accounts, livekit: FakeLiveKit
) -> None:  # type: ignore[no-untyped-def]
    host, member = accounts.make("creator"), accounts.make("listener")
    session = schedule(client, Accounts.auth(host))
    go_live(client, session)
    # The recording's first frame was taken 10 s ago (LiveKit's file start, in nanoseconds).
    start = datetime.now(UTC) - timedelta(seconds=10)
    start_ns = int(start.timestamp() * 1e9)
    for text in ("Good morning!", "Amen", "Page 42?"):
        assert _chat(client, session, member, text).status_code == 201
    info = api.EgressInfo(
        egress_id="EG_chat",
        room_name=session["room_name"],
        status=api.EgressStatus.EGRESS_COMPLETE,
        started_at=start_ns,
        file_results=[
            api.FileInfo(filename=f"recordings/{session['id']}/service.mp4", started_at=start_ns)
        ],
    )
    ended = webhook_event("egress_ended", session["room_name"], egress_info=info)
    assert send_webhook(client, ended).json()["status"] == "applied"
    # Ingestion (tested in tests/live) makes the recording content; here, a ready one stands in.
    recording = make_sermon(host["id"], kind="recording", title="Sunday Service")
    with session_scope() as db:
        db.execute(
            update(LiveSession).where(LiveSession.id == session["id"]).values(content_id=recording)
        )

    live = client.get(
        f"{V1}/live/sessions/{session['id']}/chat", headers=Accounts.auth(member)
    ).json()
    assert [m["text"] for m in live["items"]] == ["Good morning!", "Amen", "Page 42?"]
    assert live["recording_content_id"] == recording
    replay = client.get(f"{V1}/content/{recording}/chat").json()
    assert [m["text"] for m in replay["items"]] == ["Good morning!", "Amen", "Page 42?"]
    for message in replay["items"]:
        sent = datetime.fromisoformat(message["sent_at"])
        assert abs(message["at_s"] - (sent - start).total_seconds()) < 0.002
        assert 10 <= message["at_s"] < 40
    assert [m["at_s"] for m in replay["items"]] == sorted(m["at_s"] for m in replay["items"])


def test_a_message_reaches_the_livekit_room_on_the_lk_chat_topic(
    client, accounts: Accounts, livekit: FakeLiveKit
) -> None:  # type: ignore[no-untyped-def]
    host, member = accounts.make("creator"), accounts.make("listener")
    session = schedule(client, Accounts.auth(host))
    go_live(client, session)
    # The host's token creates the room, as their joining does.
    assert (
        client.post(
            f"{V1}/live/sessions/{session['id']}/token", headers=Accounts.auth(host)
        ).status_code
        == 200
    )
    sent = _chat(client, session, member, "Hello from the stream")
    assert sent.status_code == 201
    packet = wait_until(lambda: livekit.data_packets, "the message in the room")[0]
    assert (packet.room, packet.topic, packet.kind) == (
        session["room_name"],
        "lk.chat",
        api.DataPacket.Kind.RELIABLE,
    )
    body = json.loads(packet.data)
    assert body["message"] == "Hello from the stream" and body["id"] == sent.json()["id"]


def test_a_muted_member_is_refused_and_slow_mode_holds_members_back(
    client, accounts: Accounts, livekit: FakeLiveKit
) -> None:  # type: ignore[no-untyped-def]
    host, noisy, member = (
        accounts.make("creator"),
        accounts.make("listener"),
        accounts.make("listener"),
    )
    session = schedule(client, Accounts.auth(host))
    go_live(client, session)
    base = f"{V1}/live/sessions/{session['id']}/chat"
    refused = client.post(
        f"{base}/mutes", json={"user_id": noisy["id"], "minutes": 30}, headers=Accounts.auth(member)
    )
    assert refused.status_code == 403
    muted = client.post(
        f"{base}/mutes", json={"user_id": noisy["id"], "minutes": 30}, headers=Accounts.auth(host)
    )
    assert muted.status_code == 201
    answer = _chat(client, session, noisy, "LOUD")
    assert answer.status_code == 403 and answer.json()["code"] == "muted"

    slow = client.put(f"{base}/settings", json={"slow_mode_s": 30}, headers=Accounts.auth(host))
    assert slow.json() == {"session_id": session["id"], "slow_mode_s": 30}
    assert _chat(client, session, member, "one").status_code == 201
    again = _chat(client, session, member, "two")
    assert again.status_code == 429 and again.json()["code"] == "rate_limited"
    for text in ("the host", "is not held back"):
        assert _chat(client, session, host, text).status_code == 201
    too_long = _chat(client, session, member, "x" * 501)
    assert too_long.status_code == 400


def test_the_host_removes_a_message_and_members_no_longer_see_it(
    client, accounts: Accounts, livekit: FakeLiveKit
) -> None:  # type: ignore[no-untyped-def]
    host, member, moderator = (
        accounts.make("creator"),
        accounts.make("listener"),
        accounts.make("moderator"),
    )
    session = schedule(client, Accounts.auth(host))
    go_live(client, session)
    base = f"{V1}/live/sessions/{session['id']}/chat"
    bad = _chat(client, session, member, "spam link").json()
    _chat(client, session, member, "sorry")
    assert client.delete(f"{base}/{bad['id']}", headers=Accounts.auth(member)).status_code == 403
    assert client.delete(f"{base}/{bad['id']}", headers=Accounts.auth(moderator)).status_code == 204
    seen = client.get(base, headers=Accounts.auth(member)).json()["items"]
    assert [m["text"] for m in seen] == ["sorry"]
    hosts = client.get(base, headers=Accounts.auth(host)).json()["items"]
    assert [(m["text"], m["removed"]) for m in hosts] == [("", True), ("sorry", False)]


def test_chat_messages_arrive_in_order_through_two_api_processes(
    client, accounts: Accounts, livekit: FakeLiveKit
) -> None:  # type: ignore[no-untyped-def]
    host, first, second = (
        accounts.make("creator"),
        accounts.make("listener"),
        accounts.make("listener"),
    )
    session = schedule(client, Accounts.auth(host))
    go_live(client, session)
    path = f"{V1}/live/sessions/{session['id']}"
    with api_process() as one, api_process() as two:
        readers = [
            EventReader(f"{one}{path}/events", until="chat_settings"),
            EventReader(
                f"{two.replace('http', 'ws')}{path}/ws?token={first['access_token']}",
                websocket=True,
                until="chat_settings",
            ),
        ]
        for reader in readers:
            reader.start()
        for reader in readers:
            assert reader.subscribed.wait(30)
        sent = []
        for n in range(8):
            base, user = (one, first) if n % 2 == 0 else (two, second)
            with httpx.Client(base_url=base) as http:
                answer = _chat(http, session, user, f"message {n}")
                assert answer.status_code == 201, answer.text
                sent.append(answer.json()["id"])
        with httpx.Client(base_url=two) as http:
            http.put(f"{path}/chat/settings", json={"slow_mode_s": 0}, headers=Accounts.auth(host))
        delivered = [reader.result() for reader in readers]
    for events in delivered:
        chat = [e["message"]["id"] for e in events if e["type"] == "chat_message"]
        assert chat == sent
    history = client.get(f"{path}/chat").json()["items"]
    assert [m["id"] for m in history] == sent
