"""I-frame playlists for trick play: one entry per segment, a byte range over its keyframe.

Apple's players scrub and fast-scan from `EXT-X-I-FRAME-STREAM-INF` playlists, which ffmpeg 5.1
cannot write for fMP4. Every rung is encoded with one closed GOP per segment (keyframe interval
= segment length, no scene-cut keyframes), so each segment's first sample is its only I-frame.
Its byte range runs from the segment's `moof` to the end of that first sample in `mdat`
(RFC 8216 4.3.3.6: the range must not include the init section, which `EXT-X-MAP` names);
its EXTINF is the time to the next I-frame, the segment's duration.

The ISO BMFF boxes are read here rather than with a library: three box types and two flags.
"""

from __future__ import annotations

import struct
from pathlib import Path

import msgspec

from pipelines.media.hls import playlist_init, playlist_segments

__all__ = [
    "IFrame",
    "iframe_entries",
    "iframe_playlist",
    "write_iframe_playlist",
    "IFRAME_PLAYLIST",
]

IFRAME_PLAYLIST = "iframes.m3u8"
# tfhd flags
_BASE_DATA_OFFSET = 0x01
_SAMPLE_DESCRIPTION = 0x02
_DEFAULT_DURATION = 0x08
_DEFAULT_SIZE = 0x10
# trun flags
_DATA_OFFSET = 0x001
_FIRST_SAMPLE_FLAGS = 0x004
_SAMPLE_DURATION = 0x100
_SAMPLE_SIZE = 0x200


class IFrame(msgspec.Struct, kw_only=True, frozen=True):
    uri: str
    duration: float
    offset: int  # of the segment's moof
    length: int  # moof through the end of the keyframe


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, offset, size) of each box between `start` and `end`."""
    boxes = []
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, at)
        if size == 1:
            size = struct.unpack_from(">Q", data, at + 8)[0]
        elif size == 0:
            size = end - at
        if size < 8:
            break
        boxes.append((kind, at, size))
        at += size
    return boxes


def _first_sample(data: bytes, moof: int, size: int) -> tuple[int, int] | None:
    """(offset from the moof, size) of the first sample of the fragment's first track."""
    traf = next((b for b in _boxes(data, moof + 8, moof + size) if b[0] == b"traf"), None)
    if traf is None:
        return None
    default_size = 0
    data_offset = None
    first_size = None
    for kind, at, _ in _boxes(data, traf[1] + 8, traf[1] + traf[2]):
        flags = int.from_bytes(data[at + 9 : at + 12], "big")
        body = at + 12
        if kind == b"tfhd":
            field = body + 4  # past track_ID
            field += 8 if flags & _BASE_DATA_OFFSET else 0
            field += 4 if flags & _SAMPLE_DESCRIPTION else 0
            field += 4 if flags & _DEFAULT_DURATION else 0
            if flags & _DEFAULT_SIZE:
                default_size = struct.unpack_from(">I", data, field)[0]
        elif kind == b"trun":
            field = body + 4  # past sample_count
            if flags & _DATA_OFFSET:
                data_offset = struct.unpack_from(">i", data, field)[0]
                field += 4
            field += 4 if flags & _FIRST_SAMPLE_FLAGS else 0
            field += 4 if flags & _SAMPLE_DURATION else 0
            first_size = struct.unpack_from(">I", data, field)[0] if flags & _SAMPLE_SIZE else None
    if data_offset is None:
        return None
    return data_offset, first_size if first_size is not None else default_size


def iframe_entries(folder: Path) -> list[IFrame]:
    """One entry per segment of the rung in `folder`, read from its media playlist."""
    entries = []
    for uri, duration in playlist_segments((folder / "index.m3u8").read_text()):
        data = (folder / uri).read_bytes()
        moof = next((b for b in _boxes(data, 0, len(data)) if b[0] == b"moof"), None)
        if moof is None:
            continue
        sample = _first_sample(data, moof[1], moof[2])
        if sample is None:
            continue
        offset, size = sample
        entries.append(IFrame(uri=uri, duration=duration, offset=moof[1], length=offset + size))
    return entries


def write_iframe_playlist(folder: Path) -> tuple[int, int]:
    """Write `folder/iframes.m3u8` beside the rung's playlist; (peak, average) bits per second.

    BANDWIDTH is the largest I-frame's rate over its EXTINF (what a player fetches per second
    of scanning at normal speed), as RFC 8216 asks.
    """
    text = (folder / "index.m3u8").read_text()
    playlist, rates = iframe_playlist(iframe_entries(folder), playlist_init(text) or "init.mp4")
    (folder / IFRAME_PLAYLIST).write_text(playlist)
    return rates


def iframe_playlist(entries: list[IFrame], init: str) -> tuple[str, tuple[int, int]]:
    """The I-frame playlist of `entries` and its (peak, average) bits per second."""
    target = max((round(e.duration + 0.4999) for e in entries), default=1)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{max(1, target)}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-I-FRAMES-ONLY",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        f'#EXT-X-MAP:URI="{init}"',
    ]
    for entry in entries:
        lines += [
            f"#EXTINF:{entry.duration:.6f},",
            f"#EXT-X-BYTERANGE:{entry.length}@{entry.offset}",
            entry.uri,
        ]
    lines.append("#EXT-X-ENDLIST")
    rates = [e.length * 8 / e.duration for e in entries if e.duration > 0.5]
    total_s = sum(e.duration for e in entries)
    average = sum(e.length for e in entries) * 8 / total_s if total_s else 0
    return "\n".join(lines) + "\n", (int(max(rates, default=average)), int(average))
