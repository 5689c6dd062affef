"""Images for tests: a real photo-like picture with EXIF, and a real decompression bomb."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825


def photo(width: int = 1200, height: int = 800, fmt: str = "JPEG") -> bytes:
    """A gradient picture with an EXIF GPS position (which must never reach the web copies)."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(GPS_IFD)[2] = (51.0, 30.0, 0.0)  # GPSLatitude
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(side: int = 10_000) -> bytes:
    """A valid 8-bit greyscale PNG of side x side black pixels: ~100 KB on disk, side² bytes
    (100 MB at 10,000) once decoded. Written row by row: it never exists decoded here."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    packer = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # filter byte 0, then the row's pixels
    parts = [packer.compress(row * 100) for _ in range(side // 100)]
    parts.append(packer.flush())
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )
