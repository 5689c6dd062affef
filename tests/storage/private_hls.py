"""Real HLS for the private-bucket tests (tests/storage, tests/web): made by ffmpeg with the
video step's own HLS arguments, I-frame playlist and master, and stored as a ready sermon."""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from cli.users import _save_user
from models import Asset, Content, User, utcnow
from pipelines.media.audio import hls_output_args
from pipelines.media.hls import Variant, build_master, finalise_playlist
from pipelines.media.iframes import IFRAME_PLAYLIST, write_iframe_playlist
from pipelines.storage import S3Storage
from settings import Settings
from workers.db import session_scope

SEGMENT_S = 2
FF = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
PASSWORD = "a-good-long-password"


def make_hls(folder: Path) -> Path:
    """Four seconds of 320x180 video with a separate English audio rendition, as the video step
    lays them out: fMP4 rungs, an I-frame playlist per rung, our master. Returns `folder`/hls."""
    root = folder / "hls"
    subprocess.run(
        [*FF, "-f", "lavfi", "-i", "testsrc=s=320x180:r=25:d=4",
         "-f", "lavfi", "-i", "sine=f=440:sample_rate=48000:d=4",
         "-map", "0:v", "-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-keyint_min", "50",
         "-sc_threshold", "0", "-flags", "+cgop", "-bf", "0", "-pix_fmt", "yuv420p",
         *hls_output_args(root / "180p", SEGMENT_S),
         "-map", "1:a", "-c:a", "aac", "-b:a", "64k",
         *hls_output_args(root / "audio_en", SEGMENT_S)],
        check=True,
    )  # fmt: skip
    for rung in ("180p", "audio_en"):
        playlist = root / rung / "index.m3u8"
        playlist.write_text(finalise_playlist(playlist.read_text()))
    peak, average = write_iframe_playlist(root / "180p")
    master = build_master(
        [
            Variant(name="180p", uri="180p/index.m3u8", bandwidth=400_000,
                    average_bandwidth=300_000, codecs="avc1.64000d,mp4a.40.2",
                    resolution="320x180", audio_group="audio"),
            Variant(name="English", uri="audio_en/index.m3u8", bandwidth=70_000,
                    average_bandwidth=64_000, codecs="mp4a.40.2", group_id="audio",
                    language="en", default=True),
            Variant(name="180p", uri=f"180p/{IFRAME_PLAYLIST}", bandwidth=peak,
                    average_bandwidth=average, codecs="avc1.64000d", resolution="320x180",
                    iframes_only=True),
        ]
    )  # fmt: skip
    (root / "master.m3u8").write_text(master)
    subprocess.run(
        [*FF, "-f", "lavfi", "-i", "sine=f=330:d=2", "-c:a", "libmp3lame", str(root / "x.mp3")],
        check=True,
    )
    return root


@dataclass
class Sermon:
    id: str
    files: dict[str, Path] = field(default_factory=dict)  # object key -> the local file


def store_sermon(settings: Settings, hls: Path, owner_email: str, *, public: bool) -> Sermon:
    """A ready sermon whose live generation is `hls` (and an MP3), uploaded to the bucket."""
    with session_scope() as session:
        owner = session.query(User).filter_by(email=owner_email).one()
        content = Content(
            owner_id=owner.id, title="Psalm 23", status="ready", generation=1,
            live_generation=1, media_type="video", visibility="public" if public else "private",
            published_at=utcnow() if public else None,
        )  # fmt: skip
        session.add(content)
        session.flush()
        sermon = Sermon(id=content.id)
        prefix = f"media/{content.id}/g1"
        for path in sorted(hls.rglob("*")):
            if path.is_file() and path.name != "x.mp3":
                sermon.files[f"{prefix}/hls/{path.relative_to(hls)}"] = path
        sermon.files[f"{prefix}/audio.mp3"] = hls / "x.mp3"
        storage = S3Storage(settings)
        for key, path in sermon.files.items():
            storage.put_file(key, path)
        for kind, key, mime in [
            ("hls_master", f"{prefix}/hls/master.m3u8", "application/vnd.apple.mpegurl"),
            ("mp3", f"{prefix}/audio.mp3", "audio/mpeg"),
        ]:
            session.add(
                Asset(content_id=content.id, generation=1, kind=kind, key=key, mime_type=mime,
                      bytes=sermon.files[key].stat().st_size)
            )  # fmt: skip
    return sermon


def signed_in_creator(base: str) -> tuple[dict[str, str], str]:
    """A creator's bearer headers and email."""
    email = f"creator-{secrets.token_hex(4)}@church.test"
    _save_user(email, PASSWORD, "creator")
    tokens = httpx.post(
        f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}
    ).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}, email
