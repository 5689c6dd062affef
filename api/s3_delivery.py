"""The /cdn route's answers when objects live in a private S3 bucket and no CDN signs for it.

/cdn has already decided the caller may have the object (a valid path signature, or public
content). A playlist is read from S3 and handed out with each segment, init section and key
URI presigned (pipelines.storage.playlist_signing), other playlists left relative so they come
back here; any other object is a 302 to a presigned URL. No media byte passes through the API
and the bucket needs no anonymous access.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any, Literal

import anyio
from litestar import Request
from litestar.response import Redirect, Response

from api.errors import NotFound, ServiceUnavailable
from pipelines.storage import S3Storage, content_type_for
from pipelines.storage.delivery import content_prefix, on_the_minute
from pipelines.storage.errors import (
    ObjectMissing,
    PlaylistEscapesPrefix,
    StorageRefused,
    StorageUnavailable,
)
from pipelines.storage.playlist_signing import is_playlist, sign_playlist
from pipelines.storage.presigned import presigned_url
from settings import Settings

__all__ = ["s3_object"]

# Public answers are the same for everyone: a reverse proxy (or the browser) may keep them this
# long. Their presigned URLs last signed_url_ttl_s (hours), far longer than a kept copy is served.
PUBLIC_CACHE_S = 60
PUBLIC_CACHE = f"public, max-age={PUBLIC_CACHE_S}"
# A signed answer carries URLs for one grant: no shared cache may hand it to someone else.
SIGNED_CACHE = "private, no-store"
# Rewritten playlists kept in this process by (bucket, key, presigned until): signing an hour-long
# variant's 600 segments costs 0.1-0.5 s of CPU, which a crowd pressing play after a service
# would otherwise pay once each. Grants (and public answers) end on the minute
# (delivery.on_the_minute), so everyone starting in the same minute shares one entry.
_kept: dict[tuple[str, str, int], tuple[float, str]] = {}
KEPT_S = 60
KEPT_PLAYLISTS = 1000


@lru_cache(maxsize=2)
def _storage(settings: Settings) -> S3Storage:
    return S3Storage(settings)


def _signed_playlist(settings: Settings, key: str, expires: int) -> str:
    text = _storage(settings).get_bytes(key).decode("utf-8")
    prefix = content_prefix(key.split("/")[1])
    return sign_playlist(text, key, prefix, lambda k: presigned_url(settings, k, expires))


async def _playlist(settings: Settings, key: str, expires: int) -> str:
    now = time.monotonic()
    kept = _kept.get((settings.s3_bucket, key, expires))
    if kept and kept[0] > now:
        return kept[1]
    try:
        text = await anyio.to_thread.run_sync(_signed_playlist, settings, key, expires)
    except (ObjectMissing, PlaylistEscapesPrefix):
        raise NotFound("no such object") from None
    except (StorageUnavailable, StorageRefused):
        # The storage error names the key and S3's code, never a credential; still, a listener
        # needs neither.
        raise ServiceUnavailable("media storage did not answer; try again shortly") from None
    if len(_kept) >= KEPT_PLAYLISTS:
        _kept.clear()  # a minute's worth at most: simpler than LRU, and refilled as fast
    _kept[(settings.s3_bucket, key, expires)] = (now + KEPT_S, text)
    return text


async def s3_object(
    settings: Settings, key: str, request: Request[Any, Any, Any], *, expires: int | None
) -> Response[Any]:
    """The answer for `key`, which the caller may have: until `expires` (a signed path), or as
    anyone may (`expires` None: public content, post images, series artwork)."""
    public = expires is None
    until = on_the_minute(time.time() + settings.signed_url_ttl_s) if expires is None else expires
    headers = {
        "Cache-Control": PUBLIC_CACHE if public else SIGNED_CACHE,
        "Access-Control-Allow-Origin": "*",
    }
    if is_playlist(key):
        text = await _playlist(settings, key, until)
        return Response(content=text.encode(), media_type=content_type_for(key), headers=headers)
    method: Literal["GET", "HEAD"] = "HEAD" if request.method == "HEAD" else "GET"
    return Redirect(presigned_url(settings, key, until, method), status_code=302, headers=headers)
