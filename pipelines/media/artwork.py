"""Podcast artwork as Apple Podcasts requires it: square, 1400 to 3000 pixels a side, RGB, JPEG
or PNG. Apple refuses a feed whose artwork breaks these rules, so we refuse the upload instead.

Pure: bytes in, one JPEG out; the caller stores it. Decoded with illustrations' limits (format
allowlist, header checked before any pixel is decoded, decompression bombs refused).
"""

from __future__ import annotations

import io

import msgspec
from PIL import Image, ImageOps

from pipelines.media.errors import ImageRefused
from pipelines.media.illustrations import DEFAULT_LIMITS, ImageLimits, open_within

MIN_SIDE = 1400
MAX_SIDE = 3000
# Directories fetch the artwork for every listing: a good quality at a modest size.
JPEG_QUALITY = 88


class Artwork(msgspec.Struct, frozen=True, kw_only=True):
    side: int
    mime_type: str
    data: bytes


def podcast_artwork(data: bytes, limits: ImageLimits = DEFAULT_LIMITS) -> Artwork:
    """`data` as a square RGB JPEG of MIN_SIDE..MAX_SIDE pixels (downscaled above MAX_SIDE)."""
    image = open_within(data, limits)
    try:
        image = ImageOps.exif_transpose(image)  # a phone's portrait is stored sideways plus a tag
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageRefused(f"the image could not be decoded: {exc}") from None
    width, height = image.size
    if width != height:
        raise ImageRefused(
            f"podcast artwork must be square; this image is {width}x{height} pixels "
            f"(crop it to {min(width, height)}x{min(width, height)})"
        )
    if width < MIN_SIDE:
        raise ImageRefused(
            f"podcast artwork is at least {MIN_SIDE}x{MIN_SIDE} pixels (Apple Podcasts' rule); "
            f"this image is {width}x{height}"
        )
    if width > MAX_SIDE:
        image = image.resize((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    _rgb(image).save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Artwork(side=image.width, mime_type="image/jpeg", data=out.getvalue())


def _rgb(image: Image.Image) -> Image.Image:
    """Apple wants RGB: CMYK and palettes converted, transparency flattened onto white."""
    if image.mode == "RGB":
        return image
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background
