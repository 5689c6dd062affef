"""The first slice on S3 (moto): a sermon streamed up through the API is processed by a real
worker into HLS in the bucket that ffprobe plays back; a new source publishes a new generation
beside the old one, and the old one is removed after the switch."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.conftest import Accounts, wait_for_status


def _keys(settings: Any, prefix: str) -> list[str]:
    from pipelines.storage import storage_from_settings

    return storage_from_settings(settings).list_keys(prefix)


def _upload(api: Any, headers: dict[str, str], content_id: str, source: Path) -> None:
    sent = api.put(
        f"/api/v1/content/{content_id}/source",
        content=source.read_bytes(),
        headers={**headers, "X-Filename": source.name},
    )
    assert sent.status_code == 202, sent.text


def test_a_sermon_on_s3_plays_back_and_a_new_generation_retires_the_old(
    s3: Any, s3_api: Any, worker: object, tone_m4a: Path, moto_endpoint: str
) -> None:
    from pipelines.storage import s3_client

    accounts = Accounts(s3_api)
    headers = accounts.auth(accounts.make("creator"))
    content_id = s3_api.post(
        "/api/v1/content", json={"title": "The Good Shepherd"}, headers=headers
    ).json()["id"]
    _upload(s3_api, headers, content_id, tone_m4a)
    ready = wait_for_status(s3_api, content_id, headers, {"ready", "failed"}, timeout=120)
    assert ready["status"] == "ready", ready
    master = next(a for a in ready["assets"] if a["kind"] == "hls_master")
    assert master["key"].startswith(f"media/{content_id}/g1/")

    # Listeners reach S3 through the CDN; here ffprobe reads the bucket itself, as a CDN origin
    # would, by a policy that lets anyone read the media prefix.
    s3_client(s3).put_bucket_policy(
        Bucket=s3.s3_bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{s3.s3_bucket}/media/*",
                    }
                ],
            }
        ),
    )
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "json",
         f"{moto_endpoint}/{s3.s3_bucket}/{master['key']}"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    streams = json.loads(probe.stdout)["streams"]
    assert any(s["codec_type"] == "audio" and s["codec_name"] == "aac" for s in streams)

    client = s3_client(s3)
    head = client.head_object(Bucket=s3.s3_bucket, Key=master["key"])
    assert head["ContentType"] == "application/vnd.apple.mpegurl"
    assert "max-age=300" in head["CacheControl"]
    segment = next(k for k in _keys(s3, f"media/{content_id}/g1/") if k.endswith(".m4s"))
    head = client.head_object(Bucket=s3.s3_bucket, Key=segment)
    assert head["CacheControl"] == "public, max-age=31536000, immutable"

    # The invalidate_cdn step queued the generation's stable URLs; the clock's flush sends them
    # and the invalidation shows on the content.
    from workers.cdn_invalidation import flush_invalidations

    deadline = time.monotonic() + 60
    shown: dict[str, Any] | None = None
    while shown is None and time.monotonic() < deadline:
        flush_invalidations()
        shown = s3_api.get(f"/api/v1/content/{content_id}", headers=headers).json()["invalidation"]
        time.sleep(0.3)
    assert shown is not None and shown["id"] and shown["paths"] >= 1

    # The playback of this private content is signed: no CloudFront key pair here, so on the
    # API's signed path, which presigns each segment (tests/storage/test_private_bucket_playback).
    playback = s3_api.get(f"/api/v1/content/{content_id}/playback", headers=headers).json()
    assert "/cdn/s/" in playback["hls"] and playback["expires_at"]

    # A new source: generation 2 is published beside generation 1, then generation 1 goes.
    _upload(s3_api, headers, content_id, tone_m4a)
    deadline = time.monotonic() + 120
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = s3_api.get(f"/api/v1/content/{content_id}", headers=headers).json()
        if body["live_generation"] == 2 or body["status"] == "failed":
            break
        time.sleep(0.25)
    assert body["live_generation"] == 2, body
    assert all(a["generation"] == 2 for a in body["assets"])
    while time.monotonic() < deadline and _keys(s3, f"media/{content_id}/g1/"):
        time.sleep(0.25)
    assert _keys(s3, f"media/{content_id}/g1/") == []
    assert any(k.endswith("master.m3u8") for k in _keys(s3, f"media/{content_id}/g2/"))

    from sqlalchemy import select

    from models import Asset
    from workers.cdn_invalidation import pending_paths
    from workers.db import session_scope

    with session_scope() as session:
        generations = set(
            session.scalars(select(Asset.generation).where(Asset.content_id == content_id))
        )
    assert generations == {2}
    # The old generation's stable URLs are queued for the CDN.
    assert any(p.startswith(f"/media/{content_id}/g1/") for p in pending_paths())
