"""The storyboard: a sprite sheet of small frames and a WebVTT index (`#xywh=`) for scrubbing.

For long videos only keyframes are decoded (`-skip_frame nokey`): a scrubbing preview needs a
frame near each tile's time, not the exact one, and skipping the rest makes an hour's storyboard
take seconds. ffmpeg 5.1's tile filter drops a part-filled sheet at the end of the stream, so the
stream is padded with its last frame until the sheet is full.
"""

from __future__ import annotations

import math
from pathlib import Path

import msgspec

from pipelines.media.probe import Probe, input_args
from pipelines.media.runner import FFMPEG, Cancel, RunStats, run_ffmpeg
from pipelines.media.video import picture_filter
from settings import Settings

__all__ = ["Storyboard", "plan_storyboard", "make_storyboard", "storyboard_vtt"]

TILE_WIDTH = 160
COLUMNS = 10
MAX_TILES = 100
MIN_INTERVAL_S = 2.0
KEYFRAMES_ONLY_AFTER_S = 600.0


class Storyboard(msgspec.Struct, kw_only=True):
    interval: float
    tiles: int
    columns: int
    rows: int
    tile_width: int
    tile_height: int


def plan_storyboard(probe: Probe) -> Storyboard:
    """At most 100 tiles, at least 2 s apart; tile height follows the upright aspect."""
    assert probe.video is not None
    interval = max(MIN_INTERVAL_S, probe.duration / MAX_TILES)
    tiles = max(1, math.ceil(probe.duration / interval))
    aspect = probe.video.display_height / max(1, probe.video.display_width)
    height = max(2, int(round(TILE_WIDTH * aspect / 2)) * 2)
    columns = min(COLUMNS, tiles)
    return Storyboard(
        interval=round(interval, 3),
        tiles=tiles,
        columns=columns,
        rows=math.ceil(tiles / columns),
        tile_width=TILE_WIDTH,
        tile_height=height,
    )


def _stamp(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def storyboard_vtt(board: Storyboard, sprite_name: str, duration: float) -> str:
    """One cue per tile, pointing into the sprite with a media fragment (`#xywh=x,y,w,h`)."""
    lines = ["WEBVTT", ""]
    for i in range(board.tiles):
        start = i * board.interval
        end = min(duration, start + board.interval)
        x = (i % board.columns) * board.tile_width
        y = (i // board.columns) * board.tile_height
        lines += [
            f"{_stamp(start)} --> {_stamp(end)}",
            f"{sprite_name}#xywh={x},{y},{board.tile_width},{board.tile_height}",
            "",
        ]
    return "\n".join(lines)


def make_storyboard(
    source: Path,
    probe: Probe,
    settings: Settings,
    work_dir: Path,
    cancel: Cancel | None = None,
) -> tuple[Storyboard, Path, RunStats]:
    """Render the sprite sheet (JPEG) into `work_dir`; return its plan, path and run figures."""
    assert probe.video is not None
    board = plan_storyboard(probe)
    sprite = work_dir / "sprite.jpg"
    chain = (
        f"{picture_filter(probe.video)},"
        f"tpad=stop_mode=clone:stop_duration={board.interval * (board.tiles + 1):.3f},"
        f"fps=1/{board.interval},scale={board.tile_width}:{board.tile_height},setsar=1,"
        f"tile={board.columns}x{board.rows}"
    )
    cmd = [FFMPEG, "-v", "error"]
    if probe.duration > KEYFRAMES_ONLY_AFTER_S:
        cmd += ["-skip_frame", "nokey"]
    cmd += input_args(source, probe.demuxer)
    cmd += ["-map", f"0:{probe.video.index}", "-vf", chain, "-frames:v", "1", "-q:v", "4"]
    cmd += ["-f", "image2", "-update", "1", "-y", f"file:{sprite}"]
    stats = run_ffmpeg(cmd, timeout=settings.ffmpeg_timeout_s, cwd=work_dir, cancel=cancel)
    return board, sprite, stats
