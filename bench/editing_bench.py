"""Editing benchmarks: a trim against the bare ffmpeg command an editor would type for the same
output, and a vertical captioned clip against its own length.

    python -m bench editing

Sizes come from the environment (the issue's figures are the defaults: a 40-minute sermon out of
a 2-hour 1080p recording, a 60-second clip out of a 1-hour video). The generated source is kept
in `var/bench/` between runs: making two hours of 1080p takes longer than the trim.

    EDIT_BENCH_SOURCE_S=7200  EDIT_BENCH_TRIM_S=2400  EDIT_BENCH_CLIP_S=60  EDIT_BENCH_HEIGHT=1080
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from pipelines.media.burned_captions import Cue
from pipelines.media.clips import ClipEdit, render_video_clip
from pipelines.media.probe import probe_media
from pipelines.media.trim import INTERMEDIATE_CRF, Cut, cut
from settings import load_settings

FOLDER = Path("var/bench/editing")


def _source(seconds: int, height: int) -> Path:
    """A talking-head-like source: moving test pattern, 30 fps, H.264 with B-frames, AAC."""
    path = FOLDER / f"service-{seconds}s-{height}p.mp4"
    if path.is_file():
        return path
    FOLDER.mkdir(parents=True, exist_ok=True)
    width = height * 16 // 9
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r=30:d={seconds}",
         "-f", "lavfi", "-i", f"sine=f=220:d={seconds}:sample_rate=48000",
         "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-c:a", "aac", "-b:a", "128k",
         "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path


def _bare_trim(source: Path, start: float, length: float, out: Path) -> float:
    """What an editor types for the same output: accurate seek, one x264 pass, FLAC audio."""
    started = time.monotonic()
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-ss", f"{start}", "-t", f"{length}",
         "-i", str(source), "-c:v", "libx264", "-preset", "veryfast", "-crf", INTERMEDIATE_CRF,
         "-pix_fmt", "yuv420p", "-c:a", "flac", str(out)],
        check=True,
    )  # fmt: skip
    return time.monotonic() - started


def main() -> None:
    source_s = int(os.environ.get("EDIT_BENCH_SOURCE_S", "7200"))
    trim_s = float(os.environ.get("EDIT_BENCH_TRIM_S", "2400"))
    clip_s = float(os.environ.get("EDIT_BENCH_CLIP_S", "60"))
    height = int(os.environ.get("EDIT_BENCH_HEIGHT", "1080"))
    settings = load_settings(None, data_dir=str(FOLDER / "var"))
    source = _source(source_s, height)
    probe = probe_media(source, settings)
    start = float(round(source_s * 0.45 / 2) * 2)  # mid-recording, on a 2 s keyframe

    # On a keyframe of this B-frame-free source the video is copied; half a second later it
    # must be re-encoded, like the bare command always does.
    for label, at in (("on a keyframe", start), ("between keyframes", start + 0.5)):
        bare = _bare_trim(source, at, trim_s, FOLDER / "bare.mkv")
        began = time.monotonic()
        plan, _ = cut(
            source, probe, Cut(start_s=at, end_s=at + trim_s), FOLDER / "trim.mkv", settings,
            work_dir=FOLDER / "work",
        )  # fmt: skip
        ours = time.monotonic() - began
        print(
            f"trim {trim_s:.0f} s of {source_s} s {height}p {label}: ours {ours:.1f} s "
            f"(video copied: {plan.copy_video}), bare ffmpeg {bare:.1f} s, "
            f"ratio {ours / bare:.2f} (goal <= 1.2)"
        )

    cues = [
        Cue(start=t, end=t + 3.5, text="The Lord is my shepherd, I shall not want")
        for t in range(0, int(clip_s), 4)
    ]
    began = time.monotonic()
    size, stats = render_video_clip(
        source, probe, Cut(start_s=start, end_s=start + clip_s),
        ClipEdit(aspect="9:16", reframe="centre", cues=cues), FOLDER / "clip.mp4", settings,
        work_dir=FOLDER / "clip-work",
    )  # fmt: skip
    wall = time.monotonic() - began
    print(
        f"clip {clip_s:.0f} s 9:16 captioned {size[0]}x{size[1]}: {wall:.1f} s wall "
        f"({wall / clip_s:.2f}x its length, goal <= 2), {stats.cpu_seconds:.1f} CPU s"
    )
