"""Posters and the storyboard, as a player would load them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import webvtt
from PIL import Image, ImageOps, ImageStat

from pipelines.media.probe import probe_step
from pipelines.media.thumbnails import thumbnails_step

from .conftest import make


@pytest.fixture(scope="session")
def fade_in_mp4(media: Path) -> Path:
    """Black for the first part, then a fade in: the classic bad first frame."""
    return make(
        media / "fade.mp4", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=4",
        "-vf", "fade=in:st=0:d=1.5,drawbox=c=black:t=fill:enable='lt(t,1)'",
        "-c:v", "libx264", "-preset", "ultrafast",
    )  # fmt: skip


def run(make_ctx, source: Path):
    ctx = make_ctx(source)
    ctx.previous["probe"] = probe_step(ctx)
    return thumbnails_step(ctx)


def test_poster_is_a_real_picture_in_its_widths_and_two_formats(make_ctx, fade_in_mp4, out_root):
    result = run(make_ctx, fade_in_mp4)
    for width in (320,):  # the 320x180 source: no poster is wider than it
        for ext in ("jpg", "webp"):
            with Image.open(out_root / "thumbs" / f"poster-{width}.{ext}") as image:
                assert image.width == width
                assert image.height == round(width * 180 / 320)
                stat = ImageStat.Stat(ImageOps.grayscale(image))
                assert stat.mean[0] > 40 and stat.stddev[0] > 20  # not black, not a fade
    kinds = sorted({a.kind for a in result.assets})
    assert kinds == ["poster", "storyboard", "storyboard_vtt"]


def test_storyboard_cues_point_inside_the_sprite(make_ctx, vertical_mp4, out_root):
    run(make_ctx, vertical_mp4)
    with Image.open(out_root / "storyboard" / "sprite.jpg") as sprite:
        size = sprite.size
    captions = webvtt.read(str(out_root / "storyboard" / "storyboard.vtt"))
    assert len(captions) >= 1
    assert captions[0].start == "00:00:00.000"
    for cue in captions:
        name, _, frag = cue.text.partition("#xywh=")
        assert name == "sprite.jpg"
        x, y, w, h = (int(v) for v in frag.split(","))
        assert (w, h) == (160, 284)  # the vertical 360x640 source's aspect
        assert x + w <= size[0] and y + h <= size[1]


def test_rotated_video_poster_is_upright(make_ctx, rotated_phone_mp4, out_root):
    run(make_ctx, rotated_phone_mp4)
    with Image.open(out_root / "thumbs" / "poster-180.jpg") as image:
        assert image.height > image.width


def test_no_poster_is_larger_than_its_source(make_ctx, vertical_mp4, out_root):
    result = run(make_ctx, vertical_mp4)
    posters = [a for a in result.assets if a.kind in ("poster", "thumbnail")]
    assert sorted({(a.width, a.height) for a in posters}) == [(320, 569), (360, 640)]
    with Image.open(out_root / result.data["poster_key"]) as image:
        assert image.size == (360, 640)


def test_ffprobe_reads_the_sprite_as_one_jpeg(make_ctx, vertical_mp4, out_root):
    run(make_ctx, vertical_mp4)
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name",
         "-of", "csv=p=0", str(out_root / "storyboard" / "sprite.jpg")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == "mjpeg"
