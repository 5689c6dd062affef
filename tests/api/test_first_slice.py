"""The first slice, for real: a creator uploads a sermon over HTTP, a worker turns it into HLS,
and ffprobe plays the master playlist back over HTTP."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx

from tests.conftest import wait_for_status


def _sign_in(base: str, accounts) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from cli.users import _save_user

    _save_user("slice-creator@church.test", "a-good-long-password", "creator")
    tokens = httpx.post(
        f"{base}/api/v1/auth/login",
        json={"email": "slice-creator@church.test", "password": "a-good-long-password"},
    ).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_uploaded_sermon_plays_over_http_as_hls(
    live_api: str, worker: object, tone_m4a: Path, accounts
) -> None:  # type: ignore[no-untyped-def]
    headers = _sign_in(live_api, accounts)
    with httpx.Client(base_url=live_api, headers=headers, timeout=30) as http:
        content = http.post(
            "/api/v1/content", json={"title": "The Good Shepherd", "speaker": "Pastor Ann"}
        ).json()
        with open(tone_m4a, "rb") as body:
            sent = http.put(f"/api/v1/content/{content['id']}/source", content=body)
        assert sent.status_code == 202, sent.text
        assert sent.json()["bytes"] == tone_m4a.stat().st_size

        ready = wait_for_status(http, content["id"], {}, {"ready", "failed"}, timeout=120)
        assert ready["status"] == "ready", ready
        assert ready["media_type"] == "audio"
        assert {job["step"]: job["status"] for job in ready["jobs"]}["encode_audio"] == "succeeded"

        playback = http.get(f"/api/v1/content/{content['id']}/playback").json()
    master = playback["hls"]
    assert master.startswith(live_api) and master.endswith("master.m3u8")
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,codec_name:format=duration",
            "-of",
            "json",
            master,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    read_back = json.loads(probe.stdout)
    assert any(
        s["codec_type"] == "audio" and s["codec_name"] == "aac" for s in read_back["streams"]
    )
    assert abs(float(read_back["format"]["duration"]) - 4.0) < 1.0


def test_a_file_that_is_not_media_fails_with_a_reason(
    live_api: str, worker: object, tmp_path: Path, accounts
) -> None:  # type: ignore[no-untyped-def]
    headers = _sign_in(live_api, accounts)
    with httpx.Client(base_url=live_api, headers=headers, timeout=30) as http:
        content = http.post("/api/v1/content", json={"title": "Not a sermon"}).json()
        sent = http.put(
            f"/api/v1/content/{content['id']}/source",
            content=b"Dear church, this is a text file.\n" * 50,
        )
        assert sent.status_code == 202
        failed = wait_for_status(http, content["id"], {}, {"ready", "failed"}, timeout=60)
    assert failed["status"] == "failed"
    assert failed["error"].startswith("probe:")
    probe_job = next(j for j in failed["jobs"] if j["step"] == "probe")
    assert probe_job["status"] == "failed" and probe_job["attempts"] == 1  # permanent: not retried


def test_upload_over_the_limit_leaves_nothing_and_the_content_retryable(
    client, accounts, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import msgspec

    from settings import get_settings

    creator = accounts.make("creator")
    headers = accounts.auth(creator)
    content = client.post("/api/v1/content", json={"title": "Too big"}, headers=headers).json()
    small = msgspec.structs.replace(get_settings(), upload_max_bytes=1000)
    client.app.state.settings = small
    response = client.put(
        f"/api/v1/content/{content['id']}/source", content=b"x" * 5000, headers=headers
    )
    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"
    client.app.state.settings = get_settings()
    after = client.get(f"/api/v1/content/{content['id']}", headers=headers).json()
    assert after["status"] == "draft" and after["source_bytes"] is None
    sources = Path(get_settings().storage_path) / "sources" / content["id"]
    assert not sources.exists() or not any(
        p for p in sources.iterdir() if not p.name.startswith(".")
    )
    assert not sources.exists() or not list(sources.iterdir())
