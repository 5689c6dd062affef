"""Illustrations and post images: decoded within limits, resized to WebP and JPEG web sizes,
and a decompression bomb refused before it is decoded."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from pipelines.media.errors import ImageRefused, ImageTooLarge
from pipelines.media.illustrations import web_renditions
from tests.platform.images import GPS_IFD, photo, png_bomb

# VmHWM, the peak resident memory of this process image (ru_maxrss would include the peak of
# the pytest process it was forked from).
PEAK_MEMORY = """
import re, sys
from pathlib import Path
def peak_kb():
    return int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
data = Path(sys.argv[1]).read_bytes()
before = peak_kb()
{work}
print((peak_kb() - before) // 1024)
"""
BARE_PILLOW = """
import io, warnings
from PIL import Image
warnings.simplefilter("ignore")
Image.open(io.BytesIO(data)).load()
"""
OURS = """
from pipelines.media.illustrations import web_renditions
from pipelines.media.errors import ImageTooLarge
try:
    web_renditions(data)
except ImageTooLarge:
    pass
"""


def _grown_mb(work: str, upload: Path) -> int:
    """How many MB the peak memory of a fresh Python grew while doing `work` on `upload`."""
    script = PEAK_MEMORY.format(work=work)
    done = subprocess.run(
        [sys.executable, "-c", script, str(upload)], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip())


def test_a_decompression_bomb_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    bomb = png_bomb(10_000)
    upload = tmp_path / "bomb.png"
    upload.write_bytes(bomb)
    # The bomb is real: a small file that Pillow, left alone, opens and decodes into 100 MB
    # (its own limit only warns below 179 megapixels).
    assert len(bomb) < 200_000
    with Image.open(io.BytesIO(bomb)) as bare:
        assert bare.size == (10_000, 10_000)
    assert _grown_mb(BARE_PILLOW, upload) >= 80

    started = time.monotonic()
    with pytest.raises(ImageTooLarge, match="10000x10000"):
        web_renditions(bomb)
    assert time.monotonic() - started < 1.0
    assert _grown_mb(OURS, upload) < 20


def test_an_image_becomes_webp_and_jpeg_at_web_widths_without_its_metadata() -> None:
    image = web_renditions(photo(1200, 800))
    assert (image.width, image.height) == (1200, 800)
    shapes = [(r.format, r.width, r.height) for r in image.renditions]
    assert shapes == [
        ("webp", 480, 320),
        ("jpeg", 480, 320),
        ("webp", 960, 640),
        ("jpeg", 960, 640),
        ("webp", 1200, 800),
        ("jpeg", 1200, 800),
    ]
    for rendition in image.renditions:
        with Image.open(io.BytesIO(rendition.data)) as decoded:
            assert decoded.format == rendition.format.upper()
            assert decoded.size == (rendition.width, rendition.height)
            assert not decoded.getexif().get_ifd(GPS_IFD)
            assert 0x010F not in decoded.getexif()


def test_a_portrait_photo_stored_sideways_comes_out_upright() -> None:
    sideways = Image.new("RGB", (600, 300), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    out = io.BytesIO()
    sideways.save(out, "JPEG", exif=exif.tobytes())
    image = web_renditions(out.getvalue())
    assert (image.width, image.height) == (300, 600)


@pytest.mark.parametrize(
    "data",
    [b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"%PDF-1.4 not an image", b""],
    ids=["svg", "pdf", "empty"],
)
def test_what_is_not_an_accepted_image_is_refused(data: bytes) -> None:
    with pytest.raises(ImageRefused):
        web_renditions(data)


def test_a_truncated_image_is_refused_not_crashed_on() -> None:
    with pytest.raises(ImageRefused):
        web_renditions(photo()[:2000])
