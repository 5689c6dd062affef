"""The upload page's live progress: Server-Sent Events from a real uvicorn while a real worker
encodes, and a reconnect with Last-Event-ID that misses nothing."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import wait_for_status


def _sign_in(base: str) -> dict[str, str]:
    from cli.users import _save_user

    _save_user("events-creator@church.test", "a-good-long-password", "creator")
    tokens = httpx.post(
        f"{base}/api/v1/auth/login",
        json={"email": "events-creator@church.test", "password": "a-good-long-password"},
    ).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def read_events(
    base: str, path: str, headers: dict[str, str], until: Any, timeout: float = 120
) -> list[dict[str, Any]]:
    """Read SSE frames until `until(events)` is true; each event gets its SSE id and name."""
    events: list[dict[str, Any]] = []
    frame: dict[str, str] = {}
    with (
        httpx.Client(base_url=base, timeout=httpx.Timeout(timeout)) as http,
        http.stream("GET", path, headers=headers) as response,
    ):
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line == "":
                if "data" in frame:
                    event = json.loads(frame["data"])
                    events.append(
                        {**event, "sse_id": int(frame["id"]), "sse_event": frame.get("event")}
                    )
                    if until(events):
                        return events
                frame = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                frame[name] = value.removeprefix(" ")
    return events


def _is_ready(events: list[dict[str, Any]]) -> bool:
    return any(e["type"] == "content" and e.get("status") == "ready" for e in events)


def test_progress_streams_during_a_real_encode_and_resumes_after_reconnect(
    live_api: str, worker: object, tone_m4a: Path
) -> None:
    headers = _sign_in(live_api)
    content = httpx.post(
        f"{live_api}/api/v1/content", json={"title": "Live progress"}, headers=headers
    ).json()
    path = f"/api/v1/content/{content['id']}/events"

    first: list[dict[str, Any]] = []
    whole: list[dict[str, Any]] = []
    connected = threading.Event()

    def watch_briefly() -> None:  # a browser tab that drops after three events
        first.extend(read_events(live_api, path, headers, lambda events: len(events) >= 3))

    def watch_all() -> None:
        whole.extend(read_events(live_api, path, headers, _is_ready))

    readers = [threading.Thread(target=watch_briefly), threading.Thread(target=watch_all)]
    for reader in readers:
        reader.start()
    connected.wait(1.0)  # let both subscribe before the upload starts events flowing
    with open(tone_m4a, "rb") as body:
        sent = httpx.put(
            f"{live_api}/api/v1/content/{content['id']}/source", content=body, headers=headers
        )
    assert sent.status_code == 202, sent.text
    wait_for_status(
        httpx.Client(base_url=live_api, headers=headers), content["id"], {}, {"ready", "failed"}
    )
    for reader in readers:
        reader.join(timeout=60)

    # Progress of a real encode reached the stream, with the content's status at the end.
    encode = [e for e in whole if e["type"] == "job" and e["step"] == "encode_audio"]
    assert {"running", "succeeded"} <= {e["status"] for e in encode}
    assert any(0 < e["progress"] < 1 for e in encode) or any(e["progress"] == 1 for e in encode)
    assert _is_ready(whole)
    assert [e["sse_id"] for e in whole] == sorted({e["sse_id"] for e in whole})
    assert all(e["sse_id"] == e["id"] for e in whole)

    # The dropped tab reconnects with the last id it saw and gets everything after it, in order.
    last_seen = first[-1]["sse_id"]
    resumed = read_events(live_api, path, {**headers, "Last-Event-ID": str(last_seen)}, _is_ready)
    expected = [e["sse_id"] for e in whole if e["sse_id"] > last_seen]
    assert [e["sse_id"] for e in resumed][: len(expected)] == expected
    assert resumed[0]["sse_id"] == last_seen + 1


def test_private_content_events_are_for_the_owner_only(live_api: str) -> None:
    headers = _sign_in(live_api)
    content = httpx.post(
        f"{live_api}/api/v1/content", json={"title": "Private"}, headers=headers
    ).json()
    assert httpx.get(f"{live_api}/api/v1/content/{content['id']}/events").status_code == 404
