"""The HTTP headers an object is stored and served with: its Content-Type and its caching by kind.

One table decides both, so S3, CloudFront and the embedded /cdn answer alike.
"""

from __future__ import annotations

import mimetypes
import re
from enum import StrEnum
from pathlib import PurePosixPath

__all__ = [
    "CACHE_CONTROL",
    "ObjectKind",
    "cache_control_for",
    "content_type_for",
    "object_kind",
]

# Players are picky about types; mimetypes does not know the HLS and caption ones everywhere.
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".ts": "video/mp2t",
    ".mp3": "audio/mpeg",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".png": "image/png",
    ".xml": "application/rss+xml; charset=utf-8",
    ".mov": "video/quicktime",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".ogg": "audio/ogg",
}


class ObjectKind(StrEnum):
    SEGMENT = "segment"  # media segments and init sections: never rewritten under one name
    PLAYLIST = "playlist"  # HLS playlists: grow while an encode runs, final afterwards
    DOWNLOAD = "download"  # a generation's MP3 and other whole files made once
    STABLE = "stable"  # posters, captions, storyboards, waveforms, feeds: may be rewritten in place
    SOURCE = "source"  # uploaded originals: never served by the CDN


SEGMENT_SUFFIXES = {".m4s", ".ts", ".aac", ".m4a", ".mp4"}
STABLE_SUFFIXES = {
    ".vtt",
    ".srt",
    ".jpg",
    ".jpeg",
    ".webp",
    ".avif",
    ".png",
    ".json",
    ".xml",
    ".txt",
}
GENERATION_PART = re.compile(r"^g\d+$")

# A year is what RFC 8246 `immutable` is meant for; the browser never revalidates.
IMMUTABLE = "public, max-age=31536000, immutable"
# An EVENT playlist gains a segment every few seconds: players must see it grow.
LIVE_PLAYLIST = "public, max-age=2, s-maxage=2"
# Stable URLs: browsers keep them five minutes; the CDN a day, refreshed by invalidation.
STABLE = "public, max-age=300, s-maxage=86400"
PRIVATE = "private, no-store"

CACHE_CONTROL = {
    ObjectKind.SEGMENT: IMMUTABLE,
    ObjectKind.DOWNLOAD: IMMUTABLE,
    ObjectKind.PLAYLIST: STABLE,
    ObjectKind.STABLE: STABLE,
    ObjectKind.SOURCE: PRIVATE,
}


def content_type_for(key: str) -> str:
    suffix = PurePosixPath(key).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def _in_generation(key: str) -> bool:
    return any(GENERATION_PART.match(part) for part in PurePosixPath(key).parts[:-1])


def object_kind(key: str) -> ObjectKind:
    """What an object is, from its key alone (keys are `media/{id}/g{n}/...`)."""
    path = PurePosixPath(key)
    suffix = path.suffix.lower()
    if path.parts and path.parts[0] == "sources":
        return ObjectKind.SOURCE
    if suffix == ".m3u8":
        return ObjectKind.PLAYLIST
    if suffix in STABLE_SUFFIXES:
        # Captions and posters of a generation are rewritten when captions are redone: keep them
        # refreshable, even under a generation prefix.
        return ObjectKind.STABLE
    if suffix in SEGMENT_SUFFIXES and _in_generation(key):
        return ObjectKind.SEGMENT
    if _in_generation(key):
        return ObjectKind.DOWNLOAD
    return ObjectKind.STABLE


def cache_control_for(key: str, *, live: bool = False) -> str:
    """Segments and generation-keyed files: a year, immutable. Playlists of a running encode: two
    seconds. Finished playlists, images and captions: short, and refreshed by invalidation."""
    kind = object_kind(key)
    if kind is ObjectKind.PLAYLIST and live:
        return LIVE_PLAYLIST
    return CACHE_CONTROL[kind]
