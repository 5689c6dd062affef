"""Audiograms: a clip of an audio sermon made into a video for social media.

The picture is the content's cover art (embedded in the upload) or, without one, a plain dark
card; the title and speaker are written on it by Pillow (no user text ever reaches an ffmpeg
filter string); ffmpeg's `showwaves` draws the waveform moving with the sound over it, and the
captions are burned in as for any clip.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

from pipelines.context import ContentMetadata
from pipelines.media.burned_captions import ass_script, safe_area
from pipelines.media.clips import CAPTIONS_FILE, ClipEdit, mp4_args
from pipelines.media.errors import FFmpegFailed, FFmpegKilled, RangeRefused
from pipelines.media.probe import Probe, input_args
from pipelines.media.reframe import ASPECTS
from pipelines.media.runner import FFMPEG, Cancel, RunStats, run_ffmpeg
from pipelines.media.trim import Cut, check_range
from settings import Settings

__all__ = ["background", "render_audiogram"]

FPS = "25"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
REGULAR = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
CARD = (24, 32, 48)


def _font(path: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(path, size)
    except OSError:  # fonts-dejavu missing: Pillow's own font still writes the words
        return ImageFont.load_default(size)


def background(
    size: tuple[int, int], title: str, speaker: str, cover: Image.Image | None
) -> Image.Image:
    """The still picture: the cover filling the frame, blurred and darkened behind a sharp
    square copy, or a dark card; the title and speaker in the upper part."""
    width, height = size
    if cover is not None:
        cover = cover.convert("RGB")
        fill = ImageOps.fit(cover, size).filter(ImageFilter.GaussianBlur(24))
        picture = ImageEnhance.Brightness(fill).enhance(0.45)
        side = int(min(width, height) * 0.5)
        picture.paste(ImageOps.fit(cover, (side, side)), ((width - side) // 2, int(height * 0.08)))
        text_top = int(height * 0.08) + side + int(height * 0.03)
    else:
        picture = Image.new("RGB", size, CARD)
        text_top = int(height * 0.12)
    draw = ImageDraw.Draw(picture)
    area = safe_area(width, height)
    title_font = _font(BOLD, int(area.font_size * 1.2))
    y = text_top
    for line in textwrap.wrap(title, max(8, int(area.chars_per_line / 1.2)))[:3]:
        draw.text((width / 2, y), line, font=title_font, fill="white", anchor="ma")
        y += int(area.font_size * 1.45)
    if speaker:
        draw.text(
            (width / 2, y + area.font_size * 0.3),
            speaker,
            font=_font(REGULAR, int(area.font_size * 0.85)),
            fill=(220, 220, 220),
            anchor="ma",
        )
    return picture


def _cover(
    source: Path, probe: Probe, work_dir: Path, settings: Settings, cancel: Cancel | None
) -> Image.Image | None:
    if probe.cover_art_index is None:
        return None
    target = work_dir / "cover.png"
    cmd = [FFMPEG, "-v", "error", *input_args(source, probe.demuxer)]
    cmd += [
        "-map",
        f"0:{probe.cover_art_index}",
        "-frames:v",
        "1",
        "-f",
        "image2",
        "-y",
        "cover.png",
    ]
    try:
        run_ffmpeg(cmd, timeout=settings.ffprobe_timeout_s, cwd=work_dir, cancel=cancel)
    except FFmpegKilled:
        raise  # killed by the machine, not refused by the file: retried, not left out
    except FFmpegFailed:
        return None  # a broken cover is no reason to fail the clip: the card stands in
    with Image.open(target) as image:  # Pillow's MAX_IMAGE_PIXELS guards against a bomb
        return image.convert("RGB")


def render_audiogram(
    source: Path,
    probe: Probe,
    wanted: Cut,
    edit: ClipEdit,
    metadata: ContentMetadata,
    output: Path,
    settings: Settings,
    *,
    work_dir: Path,
    cancel: Cancel | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> tuple[tuple[int, int], RunStats]:
    """Render the audiogram of `wanted`; returns the output's size and the run."""
    assert probe.audio is not None
    check_range(wanted.start_s, wanted.end_s, probe.duration)
    length = wanted.end_s - wanted.start_s
    if length > settings.clip_max_s:
        raise RangeRefused(f"a clip may be {settings.clip_max_s:g} s long at most")
    work_dir.mkdir(parents=True, exist_ok=True)
    width, height = ASPECTS[edit.aspect]
    title = metadata.title or edit.parent_title
    still = background(
        (width, height), title, metadata.speaker, _cover(source, probe, work_dir, settings, cancel)
    )
    still.save(work_dir / "background.png")
    wave_h = int(height * 0.18)
    wave_y = int(height * 0.58) if height > width else int(height * 0.62)
    chain = (
        f"[1:{probe.audio.index}]asplit=2[forwave][a0];"
        f"[forwave]aformat=channel_layouts=mono,showwaves=s={width}x{wave_h}:mode=cline:"
        f"rate={FPS}:colors=white[wave];"
        f"[0:v][wave]overlay=0:{wave_y}:shortest=1,format=yuv420p"
    )
    if edit.captions and edit.cues:
        (work_dir / CAPTIONS_FILE).write_text(
            ass_script(edit.cues, width, height), encoding="utf-8"
        )
        chain += f",ass={CAPTIONS_FILE}"
    frames = round(length * int(FPS))
    samples = round(length * 48000)
    chain += f",trim=end_frame={frames}[v];"
    chain += (
        f"[a0]aformat=channel_layouts=stereo,aresample=48000,"
        f"atrim=end_sample={samples},asetpts=N/SR/TB[a]"
    )
    # The still is our own PNG, read with the image demuxer named; the audio is the upload.
    cmd = [FFMPEG, "-v", "error", "-protocol_whitelist", "file", "-loop", "1", "-framerate", FPS]
    cmd += ["-f", "image2", "-i", "background.png"]
    cmd += [
        "-ss",
        f"{wanted.start_s:.6f}",
        "-t",
        f"{length + 1:.6f}",
        *input_args(source, probe.demuxer),
    ]
    cmd += ["-filter_complex", chain, "-map", "[v]", "-map", "[a]", *mp4_args(FPS, output)]
    stats = run_ffmpeg(
        cmd, timeout=settings.ffmpeg_timeout_s, cwd=work_dir, cancel=cancel,
        on_progress=on_progress, duration=length,
    )  # fmt: skip
    return (width, height), stats
