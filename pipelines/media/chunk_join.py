"""A chunked encode's pieces, described by each chunk and joined into one ladder's playlists.

Each chunk of a long video (pipelines/chunks.py) encodes its run of segments, with the names
and timestamps a single encode gives them, and describes what it made per variant folder: the
playlist lines ffmpeg wrote, each segment's size, its init segment's digest and its I-frame
entries. The whole job joins those descriptions, never the media: the variant playlists are the
chunks' segment lines end to end under the first chunk's header, made VOD, which is what a
single encode's playlists are; bandwidth and I-frame playlists are computed from the same
figures a single encode reads from disk. Chunks that do not meet (a gap, an overlap, a
different init segment) are refused rather than joined into a stream that skips or breaks.
Before the join, as chunks finish, the run of them done from the first is listed in open
playlists (`grown_playlists`), so a listener past the first chunk does not wait for the last.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec

from pipelines.media.errors import ChunksMismatch
from pipelines.media.hls import (
    bandwidth_of,
    finalise_playlist,
    playlist_init,
    steady_target_duration,
)
from pipelines.media.iframes import IFrame, iframe_entries

__all__ = [
    "ChunkFolder",
    "ChunkOutput",
    "Segment",
    "check_joinable",
    "describe_folder",
    "grown_playlists",
    "joined_bandwidth",
    "joined_iframes",
    "joined_playlist",
]


class Segment(msgspec.Struct, frozen=True, array_like=True):
    uri: str
    extinf: str  # the duration as ffmpeg wrote it ("6.006000")
    bytes: int


class ChunkFolder(msgspec.Struct, kw_only=True):
    """One variant folder of one chunk."""

    header: str  # the playlist's lines before its first segment
    segments: list[Segment]
    init: str
    init_sha256: str
    init_bytes: int
    iframes: list[IFrame] = msgspec.field(default_factory=list)


class ChunkOutput(msgspec.Struct, kw_only=True):
    """What one chunk made, by variant folder (a rung's name, an audio track's folder)."""

    number: int
    first_segment: int
    folders: dict[str, ChunkFolder]


def _split(text: str) -> tuple[str, list[tuple[str, str]]]:
    """A media playlist's header and its (extinf, uri) pairs."""
    header: list[str] = []
    pairs: list[tuple[str, str]] = []
    extinf: str | None = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#EXTINF:"):
            extinf = line[8:].split(",")[0]
        elif line and not line.startswith("#") and extinf is not None:
            pairs.append((extinf, line))
            extinf = None
        elif not pairs and extinf is None and line and line != "#EXT-X-ENDLIST":
            header.append(line)
    return "\n".join(header) + "\n", pairs


def describe_folder(folder: Path, *, iframes: bool) -> ChunkFolder:
    """Describe a variant folder ffmpeg has finished writing."""
    text = (folder / "index.m3u8").read_text()
    header, pairs = _split(text)
    init = playlist_init(text) or "init.mp4"
    init_data = (folder / init).read_bytes() if (folder / init).is_file() else b""
    return ChunkFolder(
        header=header,
        segments=[Segment(uri, extinf, (folder / uri).stat().st_size) for extinf, uri in pairs],
        init=init,
        init_sha256=hashlib.sha256(init_data).hexdigest(),
        init_bytes=len(init_data),
        iframes=iframe_entries(folder) if iframes else [],
    )


def _segment_number(uri: str) -> int:
    return int(uri.rsplit("_", 1)[-1].split(".", 1)[0])


def check_joinable(chunks: list[ChunkOutput], folders: list[str]) -> None:
    """Every folder in every chunk, segments numbered on without a gap, one init segment."""
    for name in folders:
        expected = 0
        digest: str | None = None
        for chunk in chunks:
            folder = chunk.folders.get(name)
            if folder is None:
                raise ChunksMismatch(f"chunk {chunk.number} made no {name}")
            numbers = [_segment_number(s.uri) for s in folder.segments]
            if numbers != list(range(expected, expected + len(numbers))):
                raise ChunksMismatch(
                    f"{name}: chunk {chunk.number} starts at segment {numbers[:1]}, "
                    f"not {expected}, or skips one"
                )
            expected += len(numbers)
            if digest is not None and folder.init_sha256 != digest:
                raise ChunksMismatch(f"{name}: chunk {chunk.number} has another init segment")
            digest = folder.init_sha256


def joined_playlist(parts: list[ChunkFolder]) -> str:
    """The VOD playlist of the parts' segments end to end, under the first part's header with
    the largest target duration of any part."""
    return finalise_playlist(open_playlist(parts))


def grown_playlists(done: list[ChunkOutput], folders: list[str]) -> dict[str, str]:
    """While a chunked encode runs: each of `folders` as far as the chunks done so far reach
    from the first with no gap, still open (EVENT, no ENDLIST). Empty while the first chunk
    alone is done (it published its own) or the run does not join (the join will say why)."""
    by_number = {output.number: output for output in done}
    run: list[ChunkOutput] = []
    while len(run) + 1 in by_number:
        run.append(by_number[len(run) + 1])
    if len(run) < 2:
        return {}
    try:
        check_joinable(run, folders)
    except ChunksMismatch:
        return {}
    return {name: open_playlist([output.folders[name] for output in run]) for name in folders}


def open_playlist(parts: list[ChunkFolder]) -> str:
    """The parts' segments end to end under the first part's header (an EVENT playlist), with
    the largest target duration of any part."""
    target = max(_target(part.header) for part in parts)
    lines = [steady_target_duration(parts[0].header, target).rstrip("\n")]
    for part in parts:
        for segment in part.segments:
            lines += [f"#EXTINF:{segment.extinf},", segment.uri]
    return "\n".join(lines) + "\n"


def _target(header: str) -> int:
    for line in header.splitlines():
        if line.startswith("#EXT-X-TARGETDURATION:"):
            return int(line.split(":", 1)[1])
    return 0


def joined_bandwidth(parts: list[ChunkFolder]) -> tuple[int, int]:
    """(peak, average) bits per second of the joined variant, the init segment counted once."""
    segments = [(float(s.extinf), s.bytes) for part in parts for s in part.segments]
    return bandwidth_of(segments, parts[0].init_bytes)


def joined_iframes(parts: list[ChunkFolder]) -> list[IFrame]:
    return [entry for part in parts for entry in part.iframes]
