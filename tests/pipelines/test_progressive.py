"""Progressive HLS: EVENT playlists and the master are published while the encode runs."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipelines.media.progressive
from pipelines.media.audio import encode_audio_step
from pipelines.media.probe import probe_step
from pipelines.storage import LocalStorage

from .conftest import make


class RecordingStorage(LocalStorage):
    """Local storage that remembers each write in order: (key, live, text if a playlist)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.writes: list[tuple[str, bool, str]] = []

    def put_file(self, key: str, path: Path, *, live: bool = False) -> int:
        self.writes.append((key, live, ""))
        return super().put_file(key, path, live=live)

    def put_bytes(self, key: str, data: bytes, *, live: bool = False) -> int:
        text = data.decode() if key.endswith(".m3u8") else ""
        self.writes.append((key, live, text))
        return super().put_bytes(key, data, live=live)


@pytest.fixture(scope="session")
def long_tone(media: Path) -> Path:
    return make(media / "long.m4a", "-f", "lavfi", "-i", "sine=f=330:d=90", "-c:a", "aac")


def test_segments_and_master_are_published_before_the_encode_ends(
    make_ctx, long_tone, tmp_path, monkeypatch
):
    monkeypatch.setattr(pipelines.media.progressive, "POLL_S", 0.02)
    ctx = make_ctx(long_tone)
    storage = RecordingStorage(tmp_path / "recorded")
    ctx.outputs = storage
    ctx.previous["probe"] = probe_step(ctx)
    result = encode_audio_step(ctx)
    keys = [k for k, _, _ in storage.writes]
    growing = [t for k, live, t in storage.writes if k.endswith("index.m3u8") and live]
    assert any("#EXT-X-PLAYLIST-TYPE:EVENT" in t and "#EXT-X-ENDLIST" not in t for t in growing)
    first_master = keys.index("hls/master.m3u8")
    last_segment = max(i for i, k in enumerate(keys) if k.endswith(".m4s"))
    assert first_master < last_segment  # listeners could start before the end
    finals = {k: t for k, live, t in storage.writes if k.endswith("index.m3u8") and not live}
    assert set(finals) == {"hls/audio_128k/index.m3u8", "hls/audio_64k/index.m3u8"}
    for text in finals.values():
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and text.rstrip().endswith("#EXT-X-ENDLIST")
    assert result.time_to_first_playable is not None
    # Every segment a playlist names was uploaded before that playlist.
    for i, (key, _, text) in enumerate(storage.writes):
        if key.endswith("index.m3u8"):
            folder = key.rsplit("/", 1)[0]
            for line in text.splitlines():
                if line.endswith(".m4s"):
                    assert f"{folder}/{line}" in keys[:i]
