"""HLS playlists rewritten for a private bucket: every media URI becomes a signed URL.

S3 cannot sign a prefix, only one object at a time, so a player that resolves segment URIs
relative to a playlist reaches nothing in a private bucket. The API therefore hands out
playlists whose segment, init-section (`EXT-X-MAP`), key and byte-range URIs are absolute
presigned URLs, while URIs of other playlists (variants, audio renditions, I-frame and
subtitle playlists) stay relative: they resolve back to the API's own signed path, which
rewrites them in turn. Pure text work: the signer is passed in.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from pipelines.storage.errors import PlaylistEscapesPrefix

__all__ = ["is_playlist", "sign_playlist"]

# A quoted URI attribute of a tag: EXT-X-MAP, EXT-X-MEDIA, EXT-X-I-FRAME-STREAM-INF, EXT-X-KEY,
# EXT-X-SESSION-DATA, EXT-X-PART... (RFC 8216 4.2: attribute values are quoted strings).
URI_ATTRIBUTE = re.compile(r'(?<=[:,])URI="([^"]*)"')
PLAYLIST_SUFFIXES = (".m3u8", ".m3u")


def is_playlist(key_or_uri: str) -> bool:
    path = urlsplit(key_or_uri).path
    return path.lower().endswith(PLAYLIST_SUFFIXES)


def _key_of(uri: str, playlist_key: str, prefix: str) -> str | None:
    """The object key a relative URI names, checked to lie under `prefix`; None for an absolute
    URL, which names no object of ours and is left as it is."""
    parts = urlsplit(uri)
    if parts.scheme or parts.netloc or uri.startswith("/"):
        return None
    key = posixpath.normpath(posixpath.join(posixpath.dirname(playlist_key), unquote(parts.path)))
    if not key.startswith(prefix) or key == prefix.rstrip("/"):
        raise PlaylistEscapesPrefix(f"{playlist_key} names {uri!r}, outside {prefix}")
    return key


def sign_playlist(text: str, playlist_key: str, prefix: str, sign: Callable[[str], str]) -> str:
    """`text`, the playlist stored at `playlist_key`, with each media URI replaced by `sign(key)`.

    Playlist URIs stay relative (still checked to lie under `prefix`, the content's own folder);
    each distinct object is signed once, however many byte ranges of it are listed."""
    signed: dict[str, str] = {}

    def rewrite(uri: str) -> str:
        key = _key_of(uri, playlist_key, prefix)
        if key is None or is_playlist(key):
            return uri
        if key not in signed:
            signed[key] = sign(key)
        return signed[key]

    lines = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        stripped = body.strip()
        if not stripped:
            lines.append(line)
        elif stripped.startswith("#"):
            if stripped.startswith("#EXT"):
                body = URI_ATTRIBUTE.sub(lambda m: f'URI="{rewrite(m.group(1))}"', body)
            lines.append(body + ending)
        else:
            lines.append(rewrite(stripped) + ending)
    return "".join(lines)
