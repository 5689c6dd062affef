"""The video ladder: which rungs a source gets, their sizes, bitrates and H.264 levels.

Pure functions over a Probe, testable without ffmpeg.
"""

from __future__ import annotations

import math

import msgspec

from pipelines.media.probe import VideoInfo

__all__ = [
    "Rung",
    "build_ladder",
    "output_frame_rate",
    "fps_expression",
    "h264_level",
    "rung_frame_rate",
]

# Bits per pixel per frame for H.264 "veryfast" at 30 fps: 0.08 gives the familiar
# 5 Mb/s at 1080p, 2.2 Mb/s at 720p, 1 Mb/s at 480p, 0.55 Mb/s at 360p.
BITS_PER_PIXEL = 0.08
HD_PIXELS = 1920 * 1080
MAX_FRAME_RATE = 60.0
STANDARD_RATES = (23.976, 24.0, 25.0, 29.97, 30.0, 48.0, 50.0, 59.94, 60.0)
# (level_idc, max macroblocks per frame, max macroblocks per second), ITU-T H.264 Table A-1.
LEVELS: tuple[tuple[int, int, int], ...] = (
    (30, 1620, 40500),
    (31, 3600, 108000),
    (32, 5120, 216000),
    (40, 8192, 245760),
    (42, 8704, 522240),
    (50, 22080, 589824),
    (51, 36864, 983040),
    (52, 36864, 2073600),
)


class Rung(msgspec.Struct, kw_only=True, frozen=True):
    name: str  # "720p": named by the short side, so a vertical 720x1280 is 720p too
    width: int
    height: int
    bitrate: int  # target, bits per second
    maxrate: int
    bufsize: int
    level: int  # level_idc, e.g. 31 for 3.1
    frame_rate: float = 30.0  # this rung's own; lower rungs of a 50/60 fps source run at half

    @property
    def codecs(self) -> str:
        """The RFC 6381 string for High profile at this level, for the master playlist."""
        return f"avc1.6400{self.level:02x}"

    @property
    def resolution(self) -> str:
        return f"{self.width}x{self.height}"


def output_frame_rate(video: VideoInfo) -> float:
    """A constant output rate, so variable-rate phone video plays smoothly everywhere.

    The source's average, snapped to a standard rate when within 5% (a phone's VFR 29.6 fps
    is meant as 30), capped at 60.
    """
    rate = min(video.frame_rate if video.frame_rate > 0 else 30.0, MAX_FRAME_RATE)
    nearest = min(STANDARD_RATES, key=lambda standard: abs(standard - rate))
    if abs(nearest - rate) / nearest <= 0.05:
        return nearest
    return round(rate, 3)


def fps_expression(rate: float) -> str:
    """The rate as ffmpeg should read it: NTSC rates as exact fractions, not 29.97."""
    for ntsc in (24, 30, 48, 60):
        if abs(rate - ntsc * 1000 / 1001) < 0.01:
            return f"{ntsc * 1000}/1001"
    return f"{rate:g}"


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def h264_level(width: int, height: int, fps: float) -> int:
    frame_mbs = math.ceil(width / 16) * math.ceil(height / 16)
    for level, max_fs, max_mbps in LEVELS:
        if frame_mbs <= max_fs and frame_mbs * fps <= max_mbps:
            return level
    return LEVELS[-1][0]


def rung_frame_rate(short: int, fps: float, high_rate_min: int) -> float:
    """Above 30 fps, rungs below `high_rate_min` (short side) get half the rate: a phone on a
    small rung spends its bits on sharper frames, not more of them (Apple's authoring spec
    keeps 60 fps for 720p and up). Halving keeps every other frame, so keyframes still align."""
    if fps > 30.5 and short < high_rate_min:
        return round(fps / 2, 3)
    return fps


def _bitrate(width: int, height: int, fps: float) -> int:
    # Above 30 fps each extra frame costs about half as much: motion between frames is smaller.
    effective_fps = min(fps, 30.0) + max(0.0, fps - 30.0) * 0.5
    pixels = width * height
    # Above 1080p bits grow slower than pixels (x264 finds more to predict at higher
    # resolution): 2160p gets about 14 Mb/s at 30 fps, not 20.
    scale = (pixels / HD_PIXELS) ** 0.75 * HD_PIXELS if pixels > HD_PIXELS else pixels
    return int(scale * effective_fps * BITS_PER_PIXEL / 1000) * 1000


def _rung(short: int, video: VideoInfo, fps: float) -> Rung:
    portrait = video.display_height > video.display_width
    aspect = max(video.display_width, video.display_height) / max(
        1, min(video.display_width, video.display_height)
    )
    short = max(2, short - short % 2)  # round down: never a pixel above the source
    long_source = max(video.display_width, video.display_height)
    long_side = min(_even(short * aspect), max(2, long_source - long_source % 2))
    width, height = (short, long_side) if portrait else (long_side, short)
    bitrate = _bitrate(width, height, fps)
    return Rung(
        name=f"{short}p",
        width=width,
        height=height,
        bitrate=bitrate,
        maxrate=int(bitrate * 1.5),
        bufsize=int(bitrate * 2),
        level=h264_level(width, height, fps),
        frame_rate=fps,
    )


def build_ladder(video: VideoInfo, heights: list[int], high_rate_min: int = 720) -> list[Rung]:
    """Rungs from the configured heights that fit the source, largest first; never upscaled.

    A source smaller than every rung gets one rung at its own (even) size. Rungs below
    `high_rate_min` of a source above 30 fps run at half its rate.
    """
    fps = output_frame_rate(video)
    source_short = min(video.display_width, video.display_height)
    fitting = sorted({h for h in heights if h <= source_short}, reverse=True)
    if not fitting:
        fitting = [source_short]
    return [_rung(h, video, rung_frame_rate(h, fps, high_rate_min)) for h in fitting]
