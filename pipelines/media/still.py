"""A still picture with sound (a "podcast video"): found, and its one frame kept as an image.

A sermon exported as a video of its title slide is common. Encoded as a full ladder it costs a
full encode of identical frames in every rung; instead the picture is taken once and encoded as
one rung at one frame a second. Finding it costs a few seeks: a handful of frames spread over
the video, shrunk to 16x16 grey, must all match.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.media.probe import Probe, input_args
from pipelines.media.runner import FFMPEG, Cancel, run_ffmpeg
from settings import Settings

__all__ = ["STILL_FRAME_RATE", "extract_still", "is_still_picture"]

SAMPLES = 6
THUMB = 16
# Largest difference of one 16x16 grey pixel between samples that still counts as the same
# picture: compression noise moves a few levels, a cut to another slide moves dozens.
TOLERANCE = 6
STILL_FRAME_RATE = 1.0
MIN_DURATION_S = 4.0


def _grey_thumbnail(
    source: Path, probe: Probe, at: float, settings: Settings, work_dir: Path, cancel: Cancel | None
) -> bytes:
    assert probe.video is not None
    cmd = [FFMPEG, "-v", "error", "-ss", f"{at:.3f}", *input_args(source, probe.demuxer)]
    cmd += ["-map", f"0:{probe.video.index}", "-frames:v", "1"]
    target = work_dir / f"still-{at:.3f}.gray"
    cmd += ["-vf", f"scale={THUMB}:{THUMB},format=gray", "-f", "rawvideo", "-y", str(target)]
    run_ffmpeg(cmd, timeout=settings.ffprobe_timeout_s, cwd=work_dir, cancel=cancel)
    return target.read_bytes() if target.is_file() else b""


def is_still_picture(
    source: Path, probe: Probe, settings: Settings, work_dir: Path, cancel: Cancel | None = None
) -> bool:
    """Whether the video shows one picture throughout (sampled at SAMPLES evenly spread times)."""
    if probe.video is None or probe.duration < MIN_DURATION_S:
        return False
    end = probe.video.end or probe.duration
    times = [end * (i + 0.5) / SAMPLES for i in range(SAMPLES)]
    first: bytes | None = None
    for at in times:
        frame = _grey_thumbnail(source, probe, at, settings, work_dir, cancel)
        if len(frame) != THUMB * THUMB:
            return False
        if first is None:
            first = frame
        elif max(abs(a - b) for a, b in zip(first, frame, strict=True)) > TOLERANCE:
            return False
    return True


def extract_still(
    source: Path, probe: Probe, settings: Settings, work_dir: Path, cancel: Cancel | None = None
) -> Path:
    """The picture as a lossless PNG, decoded from the middle of the video."""
    assert probe.video is not None
    target = work_dir / "still.png"
    at = (probe.video.end or probe.duration) / 2
    cmd = [FFMPEG, "-v", "error", "-ss", f"{at:.3f}", *input_args(source, probe.demuxer)]
    cmd += ["-map", f"0:{probe.video.index}", "-frames:v", "1", "-c:v", "png", "-y", str(target)]
    run_ffmpeg(cmd, timeout=settings.ffprobe_timeout_s, cwd=work_dir, cancel=cancel)
    return target
