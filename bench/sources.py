"""Long test videos for the benchmarks, made once into the bench folder.

Drawing testsrc2 at 1080p runs at about 45 frames a second on one core, so a 60-minute source
took 40 minutes to make. About a minute of picture is drawn and encoded once and then repeated by
stream copy to the length asked for (seconds, at disk speed), with one continuous tone encoded
beside it. The encoders see the same picture they would see drawn anew: each repeat starts on
a keyframe and costs the same to decode and encode.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["test_video"]

FF = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
# Not a divisor of a round number of seconds: the still-picture check samples frames at round
# times, and a 60 s tile showed it the same frame every time (the source passed as a still).
TILE_S = 67


def test_video(video: Path, seconds: float, width: int, height: int) -> Path:
    """A `width`x`height` 30 fps H.264 test picture with a 300 Hz AAC tone, `seconds` long, at
    `video` (written under a partial name and renamed when whole; kept for the next run)."""
    if video.exists():
        return video
    video.parent.mkdir(parents=True, exist_ok=True)
    tile = video.with_name(f"tile-{TILE_S}s-{width}x{height}.mp4")
    if not tile.exists():
        partial_tile = tile.with_suffix(".partial.mp4")
        subprocess.run(
            [*FF, "-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r=30:d={TILE_S}",
             "-c:v", "libx264", "-preset", "ultrafast", str(partial_tile)],
            check=True,
        )  # fmt: skip
        partial_tile.replace(tile)
    partial = video.with_suffix(".partial.mp4")
    subprocess.run(
        [*FF, "-stream_loop", "-1", "-i", str(tile), "-f", "lavfi", "-i", f"sine=f=300:d={seconds}",
         "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-t", f"{seconds}",
         str(partial)],
        check=True,
    )  # fmt: skip
    partial.replace(video)
    return video
