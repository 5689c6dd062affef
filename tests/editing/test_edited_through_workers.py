"""Edits through the whole platform: the API records them, the workers run the edited plan, and
what listeners get is the cut (read back with ffprobe, not taken from a row)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from settings import get_settings
from tests.conftest import wait_for_status
from tests.jobs.conftest import upload


@pytest.fixture(scope="module")
def six_second_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("edit-e2e") / "service.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "6",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path


def _duration(path: Path | str) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(json.loads(out.stdout)["format"]["duration"])


def _stored(url: str) -> Path:
    """The local file behind an embedded-CDN URL, plain or signed (`.../media/{id}/...`)."""
    path = url.split("?", 1)[0]
    return get_settings().storage_path / path[path.index("/media/") + 1 :]


def test_a_trim_is_processed_by_the_workers_and_served_as_the_cut(
    client, accounts, worker, six_second_video: Path
) -> None:  # type: ignore[no-untyped-def]
    headers = accounts.auth(accounts.make("creator"))
    content_id = upload(client, headers, six_second_video)
    assert wait_for_status(client, content_id, headers, {"ready", "failed"})["status"] == "ready"

    trimmed = client.post(
        f"/api/v1/content/{content_id}/trim", json={"start_s": 1.0, "end_s": 4.0}, headers=headers
    )
    assert trimmed.status_code == 202, trimmed.text
    assert trimmed.json()["generation"] == 2
    ready = wait_for_status(client, content_id, headers, {"ready", "failed"}, timeout=180)
    assert ready["status"] == "ready", ready

    playback = client.get(f"/api/v1/content/{content_id}/playback", headers=headers).json()
    assert playback["generation"] == 2
    master = _stored(playback["hls"])
    assert abs(_duration(master) - 3.0) < 0.1


def test_a_clip_is_rendered_by_the_workers_into_a_vertical_mp4(
    client, accounts, worker, six_second_video: Path
) -> None:  # type: ignore[no-untyped-def]
    headers = accounts.auth(accounts.make("creator"))
    parent = upload(client, headers, six_second_video)
    assert wait_for_status(client, parent, headers, {"ready", "failed"})["status"] == "ready"

    made = client.post(
        f"/api/v1/content/{parent}/clips",
        json={"start_s": 1.0, "end_s": 3.0, "title": "A moment", "aspect": "9:16"},
        headers=headers,
    )
    assert made.status_code == 202, made.text
    clip_id = made.json()["id"]
    ready = wait_for_status(client, clip_id, headers, {"ready", "failed"}, timeout=180)
    assert ready["status"] == "ready", ready

    playback = client.get(f"/api/v1/content/{clip_id}/playback", headers=headers).json()
    mp4 = _stored(playback["mp4"])
    streams = json.loads(
        subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-show_entries",
                "stream=codec_type,width,height,profile",
                "-of",
                "json",
                str(mp4),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout  # fmt: skip
    )["streams"]
    video = next(s for s in streams if s["codec_type"] == "video")
    assert video["height"] > video["width"] and video["profile"] == "High"
    assert abs(_duration(mp4) - 2.0) < 0.1


def _recording_whose_steps(owner: str, captions: str, auto_trim: str | None) -> str:
    """A ready live recording (audio) whose generation's jobs all succeeded but `captions`."""
    from models import Job
    from pipelines.plans import plan_for
    from tests.sermons import make_sermon
    from workers.db import session_scope

    content_id = make_sermon(
        owner, kind="recording", source_key="sources/x/live.mp4", duration=3600.0,
        published=False, visibility="private", auto_trim=auto_trim,
    )  # fmt: skip
    with session_scope() as session:
        for spec in plan_for("audio", None, "recording"):
            status = captions if spec.name == "captions" else "succeeded"
            session.add(
                Job(content_id=content_id, step=spec.name, generation=1, queue=spec.queue,
                    status=status, attempts=1, max_attempts=3)
            )  # fmt: skip
    return content_id


@pytest.mark.parametrize(
    ("captions", "auto_trim", "trims"),
    [("succeeded", "publish", True), ("failed", "wait", True), ("running", "publish", False),
     ("succeeded", None, False)],
)  # fmt: skip
def test_a_recording_trims_itself_only_once_every_step_has_finished(
    clean_db: None, accounts, captions: str, auto_trim: str | None, trims: bool
) -> None:  # type: ignore[no-untyped-def]
    from workers.db import transaction
    from workers.orchestrator import advance_locked, lock_content

    owner = accounts.make("creator")["id"]
    content_id = _recording_whose_steps(owner, captions, auto_trim)
    with transaction() as connection:
        outcome = advance_locked(connection, content_id, lock_content(connection, content_id))
    assert outcome.trim_itself is trims
