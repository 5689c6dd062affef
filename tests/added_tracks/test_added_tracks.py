"""An interpreter's recording added to a ready video through the API joins the served master
as a Spanish rendition, read back with ffprobe; it can be removed again; a file that is not
media fails its own job and leaves the master as it was; and only the owner or an admin may
add one. A removal whose message was lost is sent again by the clock."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from models import AddedTrack, utcnow
from settings import get_settings
from tests.conftest import wait_for_status
from tests.jobs.conftest import upload, wait_until
from workers.clock.track_removals import RESEND_AFTER_S, resend_track_removals
from workers.db import session_scope

VIDEO_S = 5.0


def _make(path: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args, str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("added-tracks")


@pytest.fixture(scope="module")
def service_mp4(media: Path) -> Path:
    """5 s of video with one (English, untagged) audio track."""
    return _make(
        media / "service.mp4", "-f", "lavfi", "-i", f"testsrc2=s=320x240:r=25:d={VIDEO_S}",
        "-f", "lavfi", "-i", f"sine=f=300:d={VIDEO_S}", "-c:v", "libx264", "-preset",
        "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
    )  # fmt: skip


@pytest.fixture(scope="module")
def interpreter_m4a(media: Path) -> Path:
    """The interpreter's phone in the booth: 3 s, quieter, another tone."""
    return _make(
        media / "interpreter.m4a", "-f", "lavfi", "-i", "sine=f=600:d=3", "-af",
        "volume=-20dB", "-c:a", "aac",
    )  # fmt: skip


def _stored(url: str) -> Path:
    """The local file behind an embedded-CDN URL (`.../media/{id}/...`, signed or not)."""
    path = url.split("?", 1)[0]
    return get_settings().storage_path / path[path.index("/media/") + 1 :]


def _ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-protocol_whitelist", "file", "-print_format", "json",
         "-show_format", "-show_streams", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _audio_media(master: str) -> list[dict[str, str]]:
    found = []
    for line in master.splitlines():
        if line.startswith("#EXT-X-MEDIA:") and "TYPE=AUDIO" in line:
            found.append(
                {m[0]: m[1].strip('"') for m in re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', line)}
            )
    return found


def _master(client: Any, content_id: str, headers: dict[str, str]) -> tuple[str, Path]:
    """The served master, fetched through the playback URL, and where it is stored."""
    playback = client.get(f"/api/v1/content/{content_id}/playback", headers=headers)
    assert playback.status_code == 200, playback.text
    url = playback.json()["hls"]
    fetched = client.get(url.removeprefix("http://testserver.local"), headers=headers)
    assert fetched.status_code == 200, fetched.text
    return fetched.text, _stored(url)


def _tracks(client: Any, content_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/content/{content_id}/audio-tracks", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _settled(client: Any, content_id: str, headers: dict[str, str], language: str) -> Any:
    def check() -> dict[str, Any] | None:
        track = next(
            (t for t in _tracks(client, content_id, headers) if t["language"] == language), None
        )
        return track if track and track["status"] in ("ready", "failed") else None

    return wait_until(check, timeout=120, what=f"the {language} track to settle")


def _put_track(
    client: Any,
    content_id: str,
    language: str,
    body: bytes,
    headers: dict[str, str],
    filename: str = "recording.m4a",
) -> Any:
    return client.put(
        f"/api/v1/content/{content_id}/audio-tracks/{language}",
        content=body,
        headers={**headers, "x-filename": filename},
    )


@pytest.fixture
def ready_video(client, accounts, worker, service_mp4: Path) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    headers = accounts.auth(accounts.make("creator"))
    content_id = upload(client, headers, service_mp4)
    assert wait_for_status(client, content_id, headers, {"ready", "failed"})["status"] == "ready"
    return content_id, headers


def test_a_spanish_recording_joins_the_served_master_and_leaves_it_when_removed(
    client, accounts, ready_video, interpreter_m4a: Path
) -> None:  # type: ignore[no-untyped-def]
    content_id, headers = ready_video
    before, master_path = _master(client, content_id, headers)
    assert [t["LANGUAGE"] for t in _audio_media(before)] == ["en"]

    sent = _put_track(client, content_id, "spa", interpreter_m4a.read_bytes(), headers)
    assert sent.status_code == 202, sent.text
    assert sent.json()["language"] == "es"  # the ISO 639-2 code, as BCP 47
    track = _settled(client, content_id, headers, "es")
    assert track["status"] == "ready", track
    assert track["name"] == "Español"

    master, master_path = _master(client, content_id, headers)
    audio = _audio_media(master)
    assert [(a["LANGUAGE"], a["NAME"], a["DEFAULT"]) for a in audio] == [
        ("en", "English", "YES"),
        ("es", "Español", "NO"),
    ]
    rendition = master_path.parent / audio[1]["URI"]
    probed = _ffprobe(rendition)
    assert [s["codec_name"] for s in probed["streams"]] == ["aac"]
    # Aligned by its start and as long as the video, though the recording is 3 s.
    assert float(probed["format"]["duration"]) == pytest.approx(VIDEO_S, abs=0.1)
    assert float(probed["streams"][0]["start_time"]) == pytest.approx(0.0, abs=0.001)
    # Every video variant still plays with the audio group that now holds Spanish too.
    assert all(
        'AUDIO="audio"' in line
        for line in master.splitlines()
        if line.startswith("#EXT-X-STREAM-INF") and "RESOLUTION=" in line
    )

    # The job is a job like any other in the admin view.
    admin = accounts.auth(accounts.make("admin"))
    jobs = client.get("/api/v1/admin/jobs", params={"step": "add_audio_track"}, headers=admin)
    assert jobs.status_code == 200, jobs.text
    rows = [j for j in jobs.json()["jobs"] if j["content_id"] == content_id]
    assert [(j["status"], j["track"]) for j in rows] == [("succeeded", "es")]
    # The content is still the ready video it was, its jobs saying which language each adds.
    content = client.get(f"/api/v1/content/{content_id}", headers=headers).json()
    assert content["status"] == "ready"
    added = [(j["track"], j["status"]) for j in content["jobs"] if j["step"] == "add_audio_track"]
    assert added == [("es", "succeeded")]

    gone = client.delete(f"/api/v1/content/{content_id}/audio-tracks/es", headers=headers)
    assert gone.status_code == 202, gone.text
    wait_until(lambda: _tracks(client, content_id, headers) == [], what="the track to go")
    after, _ = _master(client, content_id, headers)
    assert [t["LANGUAGE"] for t in _audio_media(after)] == ["en"]
    assert not rendition.exists()
    recordings = get_settings().storage_path / "sources" / content_id / "tracks"
    assert not any(p.is_file() for p in recordings.rglob("*"))


def test_a_file_that_is_not_media_fails_its_job_and_leaves_the_master_whole(
    client, ready_video
) -> None:  # type: ignore[no-untyped-def]
    content_id, headers = ready_video
    before, master_path = _master(client, content_id, headers)
    page = b"<html>not a recording</html>\n" * 64
    sent = _put_track(client, content_id, "fr", page, headers, filename="booth.txt")
    assert sent.status_code == 202, sent.text
    track = _settled(client, content_id, headers, "fr")
    assert track["status"] == "failed", track
    assert track["error"].startswith("the file is not in a container we accept"), track
    # The master is byte for byte the one served before; the video is still ready.
    assert master_path.read_text() == before
    assert not (master_path.parent / "audio_fr").exists()
    assert client.get(f"/api/v1/content/{content_id}", headers=headers).json()["status"] == "ready"


def test_only_the_owner_or_an_admin_adds_lists_or_removes_tracks(
    client, accounts, ready_video, interpreter_m4a: Path
) -> None:  # type: ignore[no-untyped-def]
    content_id, headers = ready_video
    published = client.post(
        f"/api/v1/content/{content_id}/publish", json={"visibility": "public"}, headers=headers
    )
    assert published.status_code == 200, published.text
    body = interpreter_m4a.read_bytes()
    path = f"/api/v1/content/{content_id}/audio-tracks"
    for role in ("listener", "creator"):
        other = accounts.auth(accounts.make(role))
        assert _put_track(client, content_id, "es", body, other).status_code == 403
        assert client.get(path, headers=other).status_code == 403
        assert client.delete(f"{path}/es", headers=other).status_code == 403
    anonymous = _put_track(client, content_id, "es", body, {})
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthorized"
    assert client.get(path).status_code == 401
    assert _tracks(client, content_id, headers) == []

    admin = accounts.auth(accounts.make("admin"))
    assert _put_track(client, content_id, "pt-BR", body, admin).status_code == 202
    listed = _tracks(client, content_id, headers)
    assert [(t["language"], t["name"]) for t in listed] == [("pt-br", "Português (BR)")]


def test_a_language_that_is_no_tag_or_the_videos_own_is_refused(
    client, ready_video, interpreter_m4a: Path
) -> None:  # type: ignore[no-untyped-def]
    content_id, headers = ready_video
    body = interpreter_m4a.read_bytes()
    for bad in ("und", "x", "es-..", "spanish-language", "1a"):
        refused = _put_track(client, content_id, bad, body, headers)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["code"] == "invalid_input"
    own = _put_track(client, content_id, "eng", body, headers)
    assert own.status_code == 409, own.text
    missing = client.delete(f"/api/v1/content/{content_id}/audio-tracks/de", headers=headers)
    assert missing.status_code == 404
    assert _tracks(client, content_id, headers) == []


def test_two_added_languages_coexist_and_a_new_generation_gets_them_again(
    client, ready_video, interpreter_m4a: Path
) -> None:  # type: ignore[no-untyped-def]
    content_id, headers = ready_video
    body = interpreter_m4a.read_bytes()
    # Sent back to back: the second waits for the first, so each master keeps the other.
    assert _put_track(client, content_id, "es", body, headers).status_code == 202
    assert _put_track(client, content_id, "fr", body, headers).status_code == 202
    for language in ("es", "fr"):
        assert _settled(client, content_id, headers, language)["status"] == "ready"
    master, _ = _master(client, content_id, headers)
    assert [a["LANGUAGE"] for a in _audio_media(master)] == ["en", "es", "fr"]

    again = client.post(f"/api/v1/content/{content_id}/reprocess", headers=headers)
    assert again.status_code == 202, again.text
    assert again.json()["generation"] == 2
    ready = wait_for_status(client, content_id, headers, {"ready", "failed"}, timeout=240)
    assert ready["status"] == "ready", ready
    # Generation 2 went live with both tracks already in it: no listener met a master without.
    playback = client.get(f"/api/v1/content/{content_id}/playback", headers=headers).json()
    assert playback["generation"] == 2
    assert [t["status"] for t in _tracks(client, content_id, headers)] == ["ready", "ready"]
    master, master_path = _master(client, content_id, headers)
    assert "/g2/" in master_path.as_posix()
    audio = _audio_media(master)
    assert [a["LANGUAGE"] for a in audio] == ["en", "es", "fr"]
    for member in audio[1:]:
        probed = _ffprobe(master_path.parent / member["URI"])
        assert float(probed["format"]["duration"]) == pytest.approx(VIDEO_S, abs=0.1)


def test_an_audio_sermon_or_a_silent_video_takes_no_added_track(
    client, accounts, worker, media: Path, interpreter_m4a: Path
) -> None:  # type: ignore[no-untyped-def]
    headers = accounts.auth(accounts.make("creator"))
    silent = _make(
        media / "silent.mp4", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
    )  # fmt: skip
    refusals = {}
    for source in (silent, interpreter_m4a):
        content_id = upload(client, headers, source)
        ready = wait_for_status(client, content_id, headers, {"ready", "failed"})
        assert ready["status"] == "ready", ready
        refused = _put_track(client, content_id, "es", interpreter_m4a.read_bytes(), headers)
        assert refused.status_code == 409, refused.text
        refusals[source.name] = refused.json()["detail"]
        assert _tracks(client, content_id, headers) == []
    assert refusals == {
        "silent.mp4": "the video has no sound of its own; upload it again with its sound",
        "interpreter.m4a": "audio tracks are added to a video once it has been processed",
    }


def test_a_lost_removal_is_sent_again_by_the_clock(
    client, ready_video, interpreter_m4a: Path
) -> None:  # type: ignore[no-untyped-def]
    content_id, headers = ready_video
    sent = _put_track(client, content_id, "es", interpreter_m4a.read_bytes(), headers)
    assert sent.status_code == 202, sent.text
    assert _settled(client, content_id, headers, "es")["status"] == "ready"

    # The DELETE committed `removing`, and its message never reached Redis.
    with session_scope() as db:
        db.execute(
            update(AddedTrack)
            .where(AddedTrack.content_id == content_id)
            .values(status="removing", updated_at=utcnow() - timedelta(seconds=RESEND_AFTER_S + 1))
        )
    assert [t["status"] for t in _tracks(client, content_id, headers)] == ["removing"]

    assert resend_track_removals() == 1
    assert resend_track_removals() == 0  # its wait starts again: no flood while it runs
    wait_until(lambda: _tracks(client, content_id, headers) == [], what="the track to go")
    master, _ = _master(client, content_id, headers)
    assert [t["LANGUAGE"] for t in _audio_media(master)] == ["en"]
