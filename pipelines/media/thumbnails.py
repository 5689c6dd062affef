"""Thumbnails: a poster from a representative frame in three widths (JPEG and WebP), and the
storyboard sprite with its WebVTT index.

The poster is chosen among frames sampled across the middle of the video, scored with Pillow:
a black frame or a fade has little brightness and almost no contrast, a real picture has both.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps, ImageStat

from pipelines.context import AssetOut, StepContext, StepResult, put_asset
from pipelines.media.errors import FFmpegFailed, FFmpegKilled, MediaRejected
from pipelines.media.probe import Probe, input_args, probe_of
from pipelines.media.runner import FFMPEG, Cancel, run_ffmpeg
from pipelines.media.storyboard import make_storyboard, storyboard_vtt
from pipelines.media.video import picture_filter
from settings import Settings

__all__ = ["thumbnails_step", "choose_poster", "frame_score"]

POSTER_WIDTHS = (1280, 640, 320)
CANDIDATES = 8
SPRITE_KEY = "storyboard/sprite.jpg"
VTT_KEY = "storyboard/storyboard.vtt"


def frame_score(image: Image.Image) -> float:
    """Higher for frames worth showing: contrast first, darkness and washed-out frames last."""
    grey = ImageOps.grayscale(image)
    stat = ImageStat.Stat(grey)
    mean, spread = stat.mean[0], stat.stddev[0]
    if mean < 24 or mean > 240:  # black, or a fade to white
        return spread * 0.1
    return spread + 0.25 * min(mean, 255 - mean)


def sample_times(duration: float, count: int = CANDIDATES) -> list[float]:
    """Evenly across 10%..90%: titles and fades live at the ends."""
    if duration <= 1:
        return [0.0]
    return [duration * (0.1 + 0.8 * i / max(1, count - 1)) for i in range(count)]


def _grab(
    source: Path, probe: Probe, at: float, target: Path, settings: Settings, cancel: Cancel | None
) -> float | None:
    """Write the frame at `at` to `target`; the run's CPU seconds, or None when none decoded."""
    assert probe.video is not None
    chain = picture_filter(probe.video)
    cmd = [FFMPEG, "-v", "error", "-ss", f"{at:.3f}", *input_args(source, probe.demuxer)]
    cmd += ["-map", f"0:{probe.video.index}", "-vf", f"{chain},scale=w='min(1280,iw)':h=-2"]
    cmd += ["-frames:v", "1", "-f", "image2", "-c:v", "png", "-update", "1", "-y", f"file:{target}"]
    try:
        stats = run_ffmpeg(
            cmd, timeout=settings.ffprobe_timeout_s, cwd=target.parent, cancel=cancel
        )
    except FFmpegKilled:
        raise  # killed by the machine, not refused by the file: retried, not left out
    except FFmpegFailed:
        return None
    return stats.cpu_seconds if target.is_file() and target.stat().st_size > 0 else None


def choose_poster(
    source: Path, probe: Probe, settings: Settings, work_dir: Path, cancel: Cancel | None = None
) -> tuple[Path, float]:
    """The best-scoring of the sampled frames, as a PNG in `work_dir`, and the CPU it took."""
    best: tuple[float, Path] | None = None
    cpu = 0.0
    for i, at in enumerate(sample_times(probe.duration)):
        frame = work_dir / f"candidate-{i}.png"
        spent = _grab(source, probe, at, frame, settings, cancel)
        if spent is None:
            continue
        cpu += spent
        with Image.open(frame) as image:
            score = frame_score(image.convert("RGB"))
        if best is None or score > best[0]:
            best = (score, frame)
    if best is None:
        raise MediaRejected("no frame of the video could be decoded")
    return best[1], cpu


def poster_widths(source_width: int) -> list[int]:
    """The poster's widths, largest first: the usual three, none wider than the source (an
    upscaled poster is bigger and no sharper)."""
    return sorted({min(width, source_width) for width in POSTER_WIDTHS}, reverse=True)


def _poster_assets(ctx: StepContext, frame: Path) -> list[AssetOut]:
    assets = []
    with Image.open(frame) as opened:
        picture = opened.convert("RGB")
    widths = poster_widths(picture.width)
    for width in widths:
        height = max(2, round(picture.height * width / picture.width))
        sized = picture.resize((width, height), Image.Resampling.LANCZOS)
        for fmt, ext, options in (
            ("JPEG", "jpg", {"quality": 85}),
            ("WEBP", "webp", {"quality": 80}),
        ):
            path = ctx.work_dir / f"poster-{width}.{ext}"
            sized.save(path, fmt, **options)
            kind = "poster" if width == widths[0] else "thumbnail"
            key = f"thumbs/poster-{width}.{ext}"
            assets.append(put_asset(ctx.outputs, kind, key, path, width=width, height=height))
    return assets


def thumbnails_step(ctx: StepContext) -> StepResult:
    """Poster in 1280/640/320 wide JPEG and WebP (never wider than the source), then the
    storyboard sprite and its index."""
    probe = probe_of(ctx)
    if probe.video is None:
        raise MediaRejected("the file has no video to take pictures from")
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    frame, poster_cpu = choose_poster(ctx.source, probe, ctx.settings, ctx.work_dir, ctx.cancel)
    ctx.on_progress(0.4)
    assets = _poster_assets(ctx, frame)
    board, sprite, stats = make_storyboard(
        ctx.source, probe, ctx.settings, ctx.work_dir, ctx.cancel
    )
    vtt = storyboard_vtt(board, Path(SPRITE_KEY).name, probe.duration)
    vtt_size = ctx.outputs.put_bytes(VTT_KEY, vtt.encode())
    assets += [
        put_asset(
            ctx.outputs,
            "storyboard",
            SPRITE_KEY,
            sprite,
            width=board.columns * board.tile_width,
            height=board.rows * board.tile_height,
        ),
        AssetOut(kind="storyboard_vtt", key=VTT_KEY, bytes=vtt_size),
    ]
    ctx.on_progress(1.0)
    return StepResult(
        assets=assets,
        data={
            "poster_key": f"thumbs/poster-{assets[0].width}.jpg",
            "storyboard_key": VTT_KEY,
            "tiles": board.tiles,
        },
        media_seconds=probe.duration,
        cpu_seconds=round(poster_cpu + stats.cpu_seconds, 3),
    )
