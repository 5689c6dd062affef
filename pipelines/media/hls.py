"""HLS playlists: the master we write ourselves, and facts read back from variant playlists.

ffmpeg writes each variant's media playlist; the master is ours, because it must describe
variants made by different processes (and later a captions group) and be written last.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

__all__ = [
    "Subtitle",
    "Variant",
    "bandwidth_of",
    "build_master",
    "finalise_playlist",
    "measure_bandwidth",
    "playlist_segments",
]

AAC_LC = "mp4a.40.2"
AUDIO_GROUP = "audio"
SUBTITLE_GROUP = "subs"
# What the first listed variant aims at, bits per second: Apple's authoring spec has players
# start on a 1-2 Mb/s variant.
START_BANDWIDTH = 1_500_000


class Variant(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One entry of the master playlist; `uri` is relative to the master (`720p/index.m3u8`).

    `bandwidth` (peak) and `average_bandwidth` are bits per second of everything a player
    fetches for it, including the audio group it names. `group_id` makes this rendition a
    member of an audio group (`#EXT-X-MEDIA`), and also an audio-only variant when `audio_only`;
    `audio_group` makes a video variant play with that group. `iframes_only` makes it a rung's
    I-frame playlist (`#EXT-X-I-FRAME-STREAM-INF`), for scrubbing and fast scan.
    """

    name: str
    uri: str
    bandwidth: int
    average_bandwidth: int
    codecs: str
    resolution: str | None = None  # "1280x720"
    frame_rate: float | None = None
    audio_only: bool = False
    audio_group: str | None = None
    group_id: str | None = None
    channels: int | None = None
    default: bool = False
    language: str | None = None  # BCP 47, for an audio group member
    iframes_only: bool = False


class Subtitle(msgspec.Struct, kw_only=True):
    """A WebVTT subtitle playlist for the master's SUBTITLES group."""

    uri: str
    language: str
    name: str


def _as(kind: type[Any], item: Any) -> Any:
    return item if isinstance(item, kind) else msgspec.convert(item, kind)


def _quote(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def build_master(
    variants: Sequence[Variant | Mapping[str, Any]],
    subtitles: Sequence[Subtitle | Mapping[str, Any]] | None = None,
) -> str:
    """The master playlist text for `variants` (dicts or Variant) and optional `subtitles`.

    Video variants are listed before audio-only ones, each carrying BANDWIDTH,
    AVERAGE-BANDWIDTH, CODECS and, for video, RESOLUTION and FRAME-RATE (RFC 8216 4.3.4.2).
    """
    typed = [_as(Variant, v) for v in variants]
    subs = [_as(Subtitle, s) for s in subtitles or []]
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    members = [v for v in typed if v.group_id]
    # Exactly one DEFAULT=YES per group: the member marked default, else the first.
    default = next((m for m in members if m.default), members[0] if members else None)
    for member in members:
        attrs = [
            "TYPE=AUDIO",
            f"GROUP-ID={_quote(member.group_id or AUDIO_GROUP)}",
            f"NAME={_quote(member.name)}",
        ]
        if member.language:
            attrs.append(f"LANGUAGE={_quote(member.language)}")
        attrs += [f"DEFAULT={'YES' if member is default else 'NO'}", "AUTOSELECT=YES"]
        if member.channels:
            attrs.append(f'CHANNELS="{member.channels}"')
        attrs.append(f"URI={_quote(member.uri)}")
        lines.append("#EXT-X-MEDIA:" + ",".join(attrs))
    for i, sub in enumerate(subs):
        attrs = [
            "TYPE=SUBTITLES",
            f"GROUP-ID={_quote(SUBTITLE_GROUP)}",
            f"NAME={_quote(sub.name)}",
            f"LANGUAGE={_quote(sub.language)}",
            f"DEFAULT={'YES' if i == 0 else 'NO'}",
            "AUTOSELECT=YES",
            f"URI={_quote(sub.uri)}",
        ]
        lines.append("#EXT-X-MEDIA:" + ",".join(attrs))
    videos = [v for v in typed if not v.audio_only and not v.group_id and not v.iframes_only]
    ordered = start_first(videos) + [v for v in typed if v.audio_only]
    for variant in ordered:
        attrs = [
            f"BANDWIDTH={int(variant.bandwidth)}",
            f"AVERAGE-BANDWIDTH={int(variant.average_bandwidth)}",
            f"CODECS={_quote(variant.codecs)}",
        ]
        if variant.resolution:
            attrs.append(f"RESOLUTION={variant.resolution}")
        if variant.frame_rate:
            attrs.append(f"FRAME-RATE={variant.frame_rate:.3f}")
        if variant.audio_group:
            attrs.append(f"AUDIO={_quote(variant.audio_group)}")
        if subs:
            attrs.append(f"SUBTITLES={_quote(SUBTITLE_GROUP)}")
        lines.append("#EXT-X-STREAM-INF:" + ",".join(attrs))
        lines.append(variant.uri)
    for variant in (v for v in typed if v.iframes_only):
        attrs = [
            f"BANDWIDTH={int(variant.bandwidth)}",
            f"AVERAGE-BANDWIDTH={int(variant.average_bandwidth)}",
            f"CODECS={_quote(variant.codecs)}",
        ]
        if variant.resolution:
            attrs.append(f"RESOLUTION={variant.resolution}")
        attrs.append(f"URI={_quote(variant.uri)}")
        lines.append("#EXT-X-I-FRAME-STREAM-INF:" + ",".join(attrs))
    return "\n".join(lines) + "\n"


def start_first(videos: list[Variant]) -> list[Variant]:
    """The video variants with the one a phone should start on first, the rest largest first.

    Apple's players start with the first variant listed: the one nearest START_BANDWIDTH (about
    what a phone on a cellular network sustains) starts quickly and switches up within seconds;
    a 1080p first variant stalls the start on a phone.
    """
    if len(videos) < 2:
        return list(videos)
    by_size = sorted(videos, key=lambda v: v.bandwidth, reverse=True)
    start = min(by_size, key=lambda v: abs(v.bandwidth - START_BANDWIDTH))
    return [start] + [v for v in by_size if v is not start]


def playlist_segments(text: str) -> list[tuple[str, float]]:
    """(uri, duration) of each segment of a media playlist, in order."""
    segments: list[tuple[str, float]] = []
    duration: float | None = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#EXTINF:"):
            duration = float(line[8:].split(",")[0])
        elif line and not line.startswith("#") and duration is not None:
            segments.append((line, duration))
            duration = None
    return segments


def playlist_init(text: str) -> str | None:
    """The `#EXT-X-MAP` URI of an fMP4 playlist."""
    for line in text.splitlines():
        if line.startswith("#EXT-X-MAP:") and 'URI="' in line:
            return line.split('URI="', 1)[1].split('"', 1)[0]
    return None


def steady_target_duration(text: str, seconds: int) -> str:
    """A playlist whose EXT-X-TARGETDURATION is at least `seconds`. ffmpeg states the longest
    segment so far, so while a video's short opening segments are all there is it says 2 and
    later 6; a playlist's target duration must never change (RFC 8216, 6.2.1)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-TARGETDURATION:"):
            stated = int(line.split(":", 1)[1])
            lines[i] = f"#EXT-X-TARGETDURATION:{max(stated, seconds)}"
            break
    return "\n".join(lines)


def finalise_playlist(text: str) -> str:
    """An EVENT playlist as the VOD playlist it has become: type VOD, ENDLIST present."""
    text = text.replace("#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-PLAYLIST-TYPE:VOD")
    if "#EXT-X-PLAYLIST-TYPE" not in text:
        text = text.replace(
            "#EXT-X-TARGETDURATION", "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION", 1
        )
    if "#EXT-X-ENDLIST" not in text:
        text = text.rstrip("\n") + "\n#EXT-X-ENDLIST\n"
    return text


def measure_bandwidth(folder: Path) -> tuple[int, int]:
    """(peak, average) bits per second of a variant's segments, from their sizes on disk; the
    init segment is counted once in the average."""
    text = (folder / "index.m3u8").read_text()
    init = playlist_init(text)
    init_bytes = (folder / init).stat().st_size if init and (folder / init).is_file() else 0
    sizes = [(duration, (folder / uri).stat().st_size) for uri, duration in playlist_segments(text)]
    return bandwidth_of(sizes, init_bytes)


def bandwidth_of(segments: Sequence[tuple[float, int]], init_bytes: int) -> tuple[int, int]:
    """(peak, average) bits per second of segments given as (duration, bytes), as
    `measure_bandwidth` reads them from disk (a chunked encode's join has only the figures).

    The peak is RFC 8216bis's peak segment bit rate, which BANDWIDTH must bound: the highest
    rate of any run of consecutive segments lasting 0.5 to 1.5 target durations. A video's
    short opening segments are each under half the target duration: they count in runs of two
    or more, as a player downloading them one after another sees them.
    """
    if not segments:
        return 0, 0
    target = max(round(duration) for duration, _ in segments)
    low, high = 0.5 * target, 1.5 * target
    peak = 0.0
    for first in range(len(segments)):
        run_s, run_bytes = 0.0, 0
        for duration, size in segments[first:]:
            run_s, run_bytes = run_s + duration, run_bytes + size
            if run_s > high:
                break
            if run_s >= low:
                peak = max(peak, run_bytes * 8 / run_s)
    total_s = sum(duration for duration, _ in segments)
    total_bytes = init_bytes + sum(size for _, size in segments)
    average = total_bytes * 8 / total_s if total_s else 0
    return int(max(peak, average)), int(average)
