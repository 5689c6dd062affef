"""/cdn: the embedded setup's CDN, serving stored objects from local disk with HTTP Range; on S3
without CloudFront, the gate in front of the private bucket (api/s3_delivery.py answers).

`/cdn/media/{id}/...` serves public, published content only. Everything else is reached through a
signed path, `/cdn/s/{expires}/{signature}/media/{id}/...` (see pipelines.storage.delivery),
which covers the content's whole prefix so HLS segments fetched relative to a playlist pass too.
Sources and internals are never served.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
from litestar import HttpMethod, Request, route
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Response, Stream
from sqlalchemy import select

from api.errors import Forbidden, NotFound
from models import Content
from pipelines.storage import cache_control_for, check_key, content_type_for
from pipelines.storage.delivery import SIGNED_PATH, verify_cdn_signature

CHUNK = 256 * 1024
PUBLIC_TTL_S = 10.0  # how long "is this content public?" is remembered: unpublish shows in 10 s
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")

_public_cache: dict[str, tuple[float, bool]] = {}


class RangeNotSatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one byte range asked for, inclusive (RFC 9110 14.2); None means the whole object.

    Several ranges at once are answered with the whole object, which the RFC allows."""
    if not header or "," in header:
        return None
    match = RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # a suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable
    return start, end


async def _read(path: Path, start: int, end: int) -> AsyncIterator[bytes]:
    remaining = end - start + 1
    async with await anyio.open_file(path, "rb") as handle:
        await handle.seek(start)
        while remaining > 0:
            block = await handle.read(min(CHUNK, remaining))
            if not block:
                return
            remaining -= len(block)
            yield block


async def _is_public(state: State, content_id: str) -> bool:
    now = time.monotonic()
    cached = _public_cache.get(content_id)
    if cached and cached[0] > now:
        return cached[1]
    async with state.db_sessions() as db:
        row = (
            await db.execute(
                select(Content.visibility, Content.live_generation, Content.published_at).where(
                    Content.id == content_id
                )
            )
        ).first()
    # Its live generation, whatever a reprocess of it is doing (see models.visibility).
    public = bool(
        row and row.visibility == "public" and row.live_generation is not None and row.published_at
    )
    if len(_public_cache) > 10_000:
        _public_cache.clear()
    _public_cache[content_id] = (now + PUBLIC_TTL_S, public)
    return public


COMMUNITY_IMAGES = "community/posts/"
# A series' podcast artwork (api/series/artwork.py): public, as its feed is.
SERIES_ARTWORK = re.compile(r"series/[A-Za-z0-9_-]+/artwork\.jpg")
# A playlist's cover (api/playlists/cover.py): under a random folder per upload, like post images.
PLAYLIST_COVER = re.compile(r"playlists/[A-Za-z0-9_-]+/cover/[0-9a-f]+/[0-9]+\.(jpeg|webp)")


def _community_key(raw: str) -> str:
    try:
        return check_key(raw)
    except ValueError:
        raise NotFound("no such object") from None


def _media_key(raw: str) -> str:
    try:
        key = check_key(raw.lstrip("/"))
    except ValueError:
        raise NotFound("no such object") from None
    parts = key.split("/")
    if parts[0] != "media" or len(parts) < 3:
        raise NotFound("no such object")  # sources and internals are never served
    return key


# HEAD too: podcast validators and players check an enclosure's size and type with it.
@route(
    "/cdn/{key:path}",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    tags=["delivery"],
    summary="A stored object (embedded setup)",
    include_in_schema=False,
)
async def cdn_object(key: FromPath[str], state: State, request: Request[Any, Any, Any]) -> Response:
    raw = key.lstrip("/")
    signed_until: int | None = None
    if raw.startswith(f"{SIGNED_PATH}/"):
        _, expires, signature, rest = (raw.split("/", 3) + ["", "", ""])[:4]
        relative = _media_key(rest)
        if not verify_cdn_signature(
            state.settings.cdn_signing_secret, expires, signature, relative
        ):
            raise Forbidden("the signature is wrong or has expired; ask for new playback URLs")
        signed_until = int(expires)
    elif raw.startswith(COMMUNITY_IMAGES):
        # Post images: reached only through a post members see, by a key holding its random id.
        relative = _community_key(raw)
    elif SERIES_ARTWORK.fullmatch(raw) or PLAYLIST_COVER.fullmatch(raw):
        relative = raw
    else:
        relative = _media_key(raw)
        if not await _is_public(state, relative.split("/")[1]):
            raise NotFound("no such object")
    if state.settings.is_s3:
        # Imported here: boto3 costs the embedded setup a tenth of a second it never needs.
        from api.s3_delivery import s3_object

        return await s3_object(state.settings, relative, request, expires=signed_until)
    return _serve(state.settings.storage_path / relative, relative, request)


def _serve(path: Path, key: str, request: Request[Any, Any, Any]) -> Response:
    try:
        stat = os.stat(path)
    except OSError:
        raise NotFound("no such object") from None
    size = stat.st_size
    headers = {
        "Cache-Control": cache_control_for(key),
        "Access-Control-Allow-Origin": "*",
        "Accept-Ranges": "bytes",
        "ETag": f'"{stat.st_mtime_ns:x}-{size:x}"',
    }
    try:
        byte_range = parse_range(request.headers.get("range"), size)
    except RangeNotSatisfiable:
        return Response(
            content=b"",
            status_code=416,
            headers={**headers, "Content-Range": f"bytes */{size}"},
        )
    start, end = byte_range if byte_range else (0, size - 1)
    headers["Content-Length"] = str(max(0, end - start + 1))
    if byte_range:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Stream(
        _read(path, start, end) if size else _empty(),
        status_code=206 if byte_range else 200,
        media_type=content_type_for(key),
        headers=headers,
    )


async def _empty() -> AsyncIterator[bytes]:
    return
    yield b""
