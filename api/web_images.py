"""Uploaded images (story illustrations, post images, playlist covers) into storage: read within
the limits as the body streams in, decoded and resized by the pipeline's pure function off the
event loop, each rendition stored under the caller's prefix, and their public URLs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import msgspec
from litestar import Request

from api.errors import ApiError
from pipelines.media.errors import ImageRefused, ImageTooLarge
from pipelines.media.illustrations import DEFAULT_LIMITS, WebImage, web_renditions
from pipelines.storage import Storage
from pipelines.storage.delivery import public_url
from settings import Settings

T = TypeVar("T")


class ImageNotAccepted(ApiError):
    status_code = 422
    code = "image_refused"


class ImageTooBig(ApiError):
    status_code = 413
    code = "image_too_large"


class ImageOut(msgspec.Struct, kw_only=True):
    format: str
    width: int
    height: int
    url: str


async def read_image_body(
    request: Request[Any, Any, Any], limit: int = DEFAULT_LIMITS.max_bytes
) -> bytes:
    """The body, refused as soon as it passes `limit` bytes (the image limits' own)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ImageTooBig(f"the image is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def decoded(make: Callable[[bytes], T], data: bytes) -> T:
    """`make(data)` (a Pillow decode) off the event loop, its refusals as the API's: 413 beyond
    the limits, 422 otherwise."""
    try:
        return await anyio.to_thread.run_sync(make, data)
    except ImageTooLarge as exc:
        raise ImageTooBig(str(exc)) from None
    except ImageRefused as exc:
        raise ImageNotAccepted(str(exc)) from None


async def decode_image(data: bytes) -> WebImage:
    """The web renditions of `data`, or the reason it is refused (413 beyond the limits)."""
    return await decoded(web_renditions, data)


async def store_image(storage: Storage, prefix: str, image: WebImage) -> list[dict[str, Any]]:
    """Each rendition at `{prefix}/{width}.{format}`; the stored keys, smallest first."""

    def put_all() -> list[dict[str, Any]]:
        stored = []
        for rendition in image.renditions:
            key = f"{prefix}/{rendition.width}.{rendition.format}"
            size = storage.put_bytes(key, rendition.data)
            stored.append(
                {
                    "format": rendition.format,
                    "width": rendition.width,
                    "height": rendition.height,
                    "key": key,
                    "bytes": size,
                }
            )
        return stored

    return await anyio.to_thread.run_sync(put_all)


async def delete_images(storage: Storage, renditions: list[dict[str, Any]]) -> None:
    def delete_all() -> None:
        for rendition in renditions:
            storage.delete(str(rendition["key"]))

    await anyio.to_thread.run_sync(delete_all)


def image_urls(
    settings: Settings,
    renditions: list[dict[str, Any]] | None,
    url_for: Callable[[str], str] | None = None,
) -> list[ImageOut]:
    """Each rendition with its URL: public unless `url_for` signs it (a private story's)."""
    url_for = url_for or (lambda key: public_url(settings, key))
    return [
        ImageOut(
            format=str(r["format"]),
            width=int(r["width"]),
            height=int(r["height"]),
            url=url_for(str(r["key"])),
        )
        for r in renditions or []
    ]
