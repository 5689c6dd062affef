"""Trick play: every video master lists an I-frame playlist per rung, and each entry's byte
range is one whole keyframe, read back by decoding those bytes alone after the init segment."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pipelines.media.probe import probe_step
from pipelines.media.video import encode_video_step


def attributes(line: str) -> dict[str, str]:
    """A tag's attribute list (RFC 8216 4.2), quoted values unquoted."""
    body = line.split(":", 1)[1]
    out: dict[str, str] = {}
    for match in re.finditer(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', body):
        out[match.group(1)] = match.group(2).strip('"')
    return out


def entries(playlist: Path) -> list[tuple[float, str | None, str]]:
    """(EXTINF, BYTERANGE, URI) of each segment."""
    found, duration, byterange = [], 0.0, None
    for line in playlist.read_text().splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[8:].split(",")[0])
        elif line.startswith("#EXT-X-BYTERANGE:"):
            byterange = line.split(":", 1)[1]
        elif line and not line.startswith("#"):
            found.append((duration, byterange, line))
            byterange = None
    return found


def decode_range(folder: Path, init: str, uri: str, byterange: str, into: Path) -> list[str]:
    """Picture types and key flags of the frames in init + that byte range of the segment."""
    length, offset = (int(x) for x in byterange.split("@"))
    with open(folder / uri, "rb") as segment:
        segment.seek(offset)
        into.write_bytes((folder / init).read_bytes() + segment.read(length))
    return subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "frame=pict_type,key_frame", "-of", "csv=p=0", str(into)],
        capture_output=True, text=True, check=True,
    ).stdout.replace(",\n", "\n").split()  # fmt: skip


def test_every_rung_has_an_iframe_playlist_of_keyframes(make_ctx, vertical_mp4, out_root, tmp_path):
    ctx = make_ctx(vertical_mp4)
    ctx.previous["probe"] = probe_step(ctx)
    encode_video_step(ctx)
    master = (out_root / "hls/master.m3u8").read_text().splitlines()
    rungs = [
        master[i + 1].split("/")[0]
        for i, line in enumerate(master)
        if line.startswith("#EXT-X-STREAM-INF") and "RESOLUTION=" in line
    ]
    listed = {
        attrs["URI"].split("/")[0]: attrs
        for attrs in (attributes(x) for x in master if x.startswith("#EXT-X-I-FRAME-STREAM-INF"))
    }
    assert sorted(listed) == sorted(rungs) and len(rungs) == 3
    for rung, info in listed.items():
        assert int(info["BANDWIDTH"]) > 0 and info["CODECS"].startswith("avc1")
        assert info["RESOLUTION"]
        playlist = out_root / "hls" / info["URI"]
        text = playlist.read_text()
        assert "#EXT-X-I-FRAMES-ONLY" in text
        init = attributes(next(x for x in text.splitlines() if x.startswith("#EXT-X-MAP")))["URI"]
        iframes = entries(playlist)
        whole = entries(out_root / "hls" / rung / "index.m3u8")
        assert [e[2] for e in iframes] == [w[2] for w in whole]
        for (duration, byterange, uri), (whole_duration, _, _) in zip(iframes, whole, strict=True):
            assert duration == whole_duration  # the time to the next I-frame
            assert byterange is not None
            frames = decode_range(
                out_root / "hls" / rung, init, uri, byterange, tmp_path / f"{rung}-{uri}.mp4"
            )
            assert frames == ["1,I"], (rung, uri, frames)
