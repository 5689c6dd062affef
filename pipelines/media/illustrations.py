"""Uploaded images (Bible story illustrations, post images) made safe and web-sized: decoded by
Pillow within limits on bytes, sides and pixels, then resized to a few widths as WebP and JPEG.

Pure: bytes in, encoded renditions out; the caller stores them. The header is read before any
pixel is decoded, so a decompression bomb (a small file declaring a huge picture) is refused
having cost a few kilobytes of memory. Metadata (EXIF, GPS positions) is not carried over.
"""

from __future__ import annotations

import io
import warnings

import msgspec
from PIL import Image, ImageOps, UnidentifiedImageError

from pipelines.media.errors import ImageRefused, ImageTooLarge

# Pillow's decoders we let near an upload: the formats phones and editors export. Naming them
# keeps Pillow from trying every plugin it has (PSD, TGA, EPS via Ghostscript, ...).
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
# Widths for phones, tablets and a projector; never upscaled.
WIDTHS = (480, 960, 1600)
WEBP_QUALITY = 80
JPEG_QUALITY = 82


class ImageLimits(msgspec.Struct, frozen=True, kw_only=True):
    max_bytes: int = 20 * 1024**2
    max_side: int = 8192
    # 40 megapixels: a 7,700 x 5,200 photo; decoded as RGBA it is 160 MB at most.
    max_pixels: int = 40_000_000


DEFAULT_LIMITS = ImageLimits()


class Rendition(msgspec.Struct, frozen=True, kw_only=True):
    format: str  # "webp" | "jpeg"
    width: int
    height: int
    data: bytes


class WebImage(msgspec.Struct, frozen=True, kw_only=True):
    width: int
    height: int
    renditions: list[Rendition]


def web_renditions(data: bytes, limits: ImageLimits = DEFAULT_LIMITS) -> WebImage:
    """WebP and JPEG renditions of `data` at WIDTHS (and the original width when smaller)."""
    image = open_within(data, limits)
    try:
        image = ImageOps.exif_transpose(image)  # phones store portraits sideways plus a tag
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageRefused(f"the image could not be decoded: {exc}") from None
    width, height = image.size
    renditions: list[Rendition] = []
    for target in sorted({min(w, width) for w in WIDTHS}):
        resized = _resized(image, target)
        renditions.append(_encode(resized, "webp"))
        renditions.append(_encode(resized, "jpeg"))
    return WebImage(width=width, height=height, renditions=renditions)


def open_within(data: bytes, limits: ImageLimits) -> Image.Image:
    if len(data) > limits.max_bytes:
        raise ImageTooLarge(f"the image is {len(data)} bytes; at most {limits.max_bytes} are taken")
    try:
        with warnings.catch_warnings():
            # Pillow warns between its own limit and twice it (and refuses above); our limits
            # are lower, checked on the header before a pixel is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
        _check_size(image.size, limits)
        image.load()
    except Image.DecompressionBombError:
        raise ImageTooLarge("the image declares more pixels than can be decoded safely") from None
    except UnidentifiedImageError:
        raise ImageRefused(f"not an image we accept (one of {', '.join(FORMATS)})") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageRefused(f"the image could not be decoded: {exc}") from None
    return image


def _check_size(size: tuple[int, int], limits: ImageLimits) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise ImageRefused("the image has no pixels")
    if max(width, height) > limits.max_side or width * height > limits.max_pixels:
        raise ImageTooLarge(
            f"the image is {width}x{height} pixels; at most {limits.max_side} a side and "
            f"{limits.max_pixels // 1_000_000} megapixels are taken"
        )


def _resized(image: Image.Image, width: int) -> Image.Image:
    if image.width == width:
        return image
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def _encode(image: Image.Image, fmt: str) -> Rendition:
    out = io.BytesIO()
    if fmt == "jpeg":
        flat = _flatten(image)
        flat.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    else:
        keeps_alpha = image.mode in ("RGBA", "LA") or "transparency" in image.info
        image.convert("RGBA" if keeps_alpha else "RGB").save(out, "WEBP", quality=WEBP_QUALITY)
    return Rendition(format=fmt, width=image.width, height=image.height, data=out.getvalue())


def _flatten(image: Image.Image) -> Image.Image:
    """JPEG has no transparency: transparent parts go white, as on the page behind them."""
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background
