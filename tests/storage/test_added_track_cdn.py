"""An audio track added to a video on S3 rewrites the master under its stable URL, so the CDN
(CloudFront on moto) is asked to forget the master; the master in the bucket lists the track."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Accounts, wait_for_status


@pytest.fixture(scope="module")
def short_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("added-track-cdn") / "service.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3",
         "-f", "lavfi", "-i", "sine=f=300:d=3", "-c:v", "libx264", "-preset", "ultrafast",
         "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("added-track-cdn-rec") / "interpreter.m4a"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=f=600:d=2",
         "-c:a", "aac", str(path)],
        check=True,
    )  # fmt: skip
    return path


def _invalidations(settings: Any) -> dict[str, list[str]]:
    """Each CloudFront invalidation of the distribution: its id, its paths."""
    from pipelines.storage.cdn import cloudfront_client

    client = cloudfront_client(settings)
    distribution = settings.cloudfront_distribution_id
    listing = client.list_invalidations(DistributionId=distribution)
    found = {}
    for item in listing["InvalidationList"].get("Items", []):
        batch = client.get_invalidation(DistributionId=distribution, Id=item["Id"])
        found[item["Id"]] = batch["Invalidation"]["InvalidationBatch"]["Paths"].get("Items", [])
    return found


def test_adding_a_track_on_s3_invalidates_the_master_on_the_cdn(
    s3: Any, s3_api: Any, worker: object, short_video: Path, recording: Path
) -> None:
    from pipelines.storage import storage_from_settings
    from workers.cdn_invalidation import flush_invalidations, pending_paths

    accounts = Accounts(s3_api)
    headers = accounts.auth(accounts.make("creator"))
    content_id = s3_api.post("/api/v1/content", json={"title": "Sunday"}, headers=headers).json()[
        "id"
    ]
    sent = s3_api.put(
        f"/api/v1/content/{content_id}/source", content=short_video.read_bytes(), headers=headers
    )
    assert sent.status_code == 202, sent.text
    ready = wait_for_status(s3_api, content_id, headers, {"ready", "failed"}, timeout=120)
    assert ready["status"] == "ready", ready
    # What publishing queued goes first, so what follows is the track's alone.
    deadline = time.monotonic() + 60
    while pending_paths() and time.monotonic() < deadline:
        flush_invalidations()
        time.sleep(0.3)
    assert pending_paths() == []
    before = _invalidations(s3)

    added = s3_api.put(
        f"/api/v1/content/{content_id}/audio-tracks/es",
        content=recording.read_bytes(),
        headers=headers,
    )
    assert added.status_code == 202, added.text
    deadline = time.monotonic() + 120
    tracks: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        tracks = s3_api.get(f"/api/v1/content/{content_id}/audio-tracks", headers=headers).json()
        if tracks and tracks[0]["status"] in ("ready", "failed"):
            break
        time.sleep(0.25)
    assert [t["status"] for t in tracks] == ["ready"], tracks

    master_path = f"/media/{content_id}/g1/hls/master.m3u8"
    assert master_path in pending_paths()
    deadline = time.monotonic() + 60
    while pending_paths() and time.monotonic() < deadline:
        flush_invalidations()
        time.sleep(0.3)
    new = {i: paths for i, paths in _invalidations(s3).items() if i not in before}
    sent_paths = {path for paths in new.values() for path in paths}
    assert master_path in sent_paths or f"/media/{content_id}/g1/*" in sent_paths, new

    master = storage_from_settings(s3).get_bytes(f"media/{content_id}/g1/hls/master.m3u8")
    assert b'LANGUAGE="es"' in master
    recordings = storage_from_settings(s3).list_keys(f"sources/{content_id}/tracks/es/")
    assert len(recordings) == 1
