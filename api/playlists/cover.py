"""A playlist's cover: an image its owner uploads, decoded safely within the pipeline's limits
(dimensions, pixels, bytes: a decompression bomb is refused before it is decoded), resized to
web sizes in WebP and JPEG and stored under `playlists/{id}/cover/{upload}/`.

Each upload gets its own folder, so a CDN or browser never serves the old cover under a new
one's URL; the cover it replaces is deleted once the new one is committed.
"""

from __future__ import annotations

import secrets
from typing import Any

from api.web_images import decode_image, delete_images, store_image
from pipelines.storage import Storage

PREFIX = "playlists/"  # the clock's orphan sweep knows it (workers/clock/orphans.py)


async def store_cover(storage: Storage, playlist_id: str, data: bytes) -> list[dict[str, Any]]:
    """The stored renditions of the uploaded image, or the reason it is refused (413, 422)."""
    image = await decode_image(data)
    folder = f"{PREFIX}{playlist_id}/cover/{secrets.token_hex(6)}"
    return await store_image(storage, folder, image)


async def delete_cover(storage: Storage, renditions: list[dict[str, Any]] | None) -> None:
    if renditions:
        await delete_images(storage, renditions)
