"""A series' podcast artwork: checked and resized to Apple's rules off the event loop, stored at
one key per series, and named in the feed by a URL that changes with the picture (podcast apps
and directories cache artwork by URL, so a new picture needs a new URL to be fetched)."""

from __future__ import annotations

import hashlib

import anyio

from api.web_images import decoded
from pipelines.media.artwork import Artwork, podcast_artwork
from pipelines.storage import Storage
from pipelines.storage.delivery import public_url
from settings import Settings

# Served publicly by the embedded /cdn (api/cdn.py) as the feed's artwork is public.
ARTWORK_PREFIX = "series/"


def artwork_key(series_id: str) -> str:
    return f"{ARTWORK_PREFIX}{series_id}/artwork.jpg"


async def checked_artwork(data: bytes) -> Artwork:
    """`data` made podcast artwork, or why not: 422 (not square, too small), 413 (too large)."""
    return await decoded(podcast_artwork, data)


async def store_artwork(settings: Settings, storage: Storage, series_id: str, art: Artwork) -> str:
    """Stores `art` as the series' artwork; its public URL, versioned by the picture's digest."""
    key = artwork_key(series_id)
    await anyio.to_thread.run_sync(storage.put_bytes, key, art.data)
    version = hashlib.sha256(art.data).hexdigest()[:16]
    return f"{public_url(settings, key)}?v={version}"
