"""Rendering a clip: a moment of a parent's source made into an MP4 for social platforms.

One ffmpeg run seeks to the clip's first frame, reframes the picture to the platform's aspect
(pipelines/media/reframe.py), burns in the captions (pipelines/media/burned_captions.py) and
writes what every platform takes: H.264 High, yuv420p, AAC-LC 48 kHz stereo, the index at the
front (`+faststart`, so a phone starts playing before the download ends), at most 60 fps and
8 Mb/s. Audio content becomes an audiogram instead (pipelines/media/audiogram.py).

The MP4 is both the clip's download and the source of the rest of its (video) plan.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Literal

import msgspec
from PIL import Image

from pipelines.context import StepContext, StepResult, put_asset
from pipelines.media.burned_captions import Cue, ass_script
from pipelines.media.errors import RangeRefused
from pipelines.media.ladder import fps_expression, output_frame_rate
from pipelines.media.probe import Probe, input_args, probe_of
from pipelines.media.reframe import face_centre, output_size, reframe_filter
from pipelines.media.runner import FFMPEG, Cancel, RunStats, run_ffmpeg
from pipelines.media.trim import Cut, check_range
from pipelines.media.video import picture_filter
from settings import Settings

__all__ = ["ClipEdit", "mp4_args", "render_clip_step", "render_video_clip"]

CLIP_KEY = "clip.mp4"
CAPTIONS_FILE = "captions.ass"
# Platforms recompress anything above this; sending more only costs upload time.
MAX_BITRATE = "8M"
FACE_SAMPLES = 6


class ClipEdit(msgspec.Struct, kw_only=True):
    """How a clip is rendered, as the API stored it on the clip (`Content.edit`)."""

    aspect: Literal["16:9", "9:16", "1:1"] = "9:16"
    reframe: Literal["centre", "face", "blur-fill"] = "centre"
    captions: bool = True
    cues: list[Cue] = msgspec.field(default_factory=list)
    # For audiograms: what is written on the picture.
    parent_title: str = ""


def mp4_args(fps: str, output: Path) -> list[str]:
    """The output half: H.264 High and AAC in an MP4 with its index first."""
    gop = str(max(1, round(2 * Fraction(fps))))  # a keyframe every 2 s: seekable on every app
    return [
        "-c:v", "libx264", "-profile:v", "high", "-preset", "veryfast", "-crf", "20",
        "-maxrate", MAX_BITRATE, "-bufsize", "16M", "-pix_fmt", "yuv420p", "-g", gop,
        "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
        "-movflags", "+faststart", "-map_metadata", "-1", "-y", f"file:{output.resolve()}",
    ]  # fmt: skip


def _sample_frames(
    source: Path,
    probe: Probe,
    wanted: Cut,
    work_dir: Path,
    settings: Settings,
    cancel: Cancel | None,
) -> list[Image.Image]:
    """A few small frames spread over the clip, for finding the speaker."""
    folder = work_dir / "face"
    folder.mkdir(parents=True, exist_ok=True)
    length = wanted.end_s - wanted.start_s
    cmd = [FFMPEG, "-v", "error", "-ss", f"{wanted.start_s:.3f}", "-t", f"{length:.3f}"]
    cmd += input_args(source, probe.demuxer)
    assert probe.video is not None
    cmd += [
        "-map",
        f"0:{probe.video.index}",
        "-vf",
        f"fps={FACE_SAMPLES}/{length:.3f},scale=320:-2",
    ]
    cmd += ["-f", "image2", "-y", "frame-%02d.png"]
    run_ffmpeg(cmd, timeout=settings.ffprobe_timeout_s * 4, cwd=folder, cancel=cancel)
    frames = []
    for path in sorted(folder.glob("frame-*.png")):
        with Image.open(path) as image:
            frames.append(image.convert("RGB"))
    return frames


def render_video_clip(
    source: Path,
    probe: Probe,
    wanted: Cut,
    edit: ClipEdit,
    output: Path,
    settings: Settings,
    *,
    work_dir: Path,
    cancel: Cancel | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> tuple[tuple[int, int], RunStats]:
    """Render the clip of a video source; returns the output's size and the run."""
    assert probe.video is not None
    check_range(wanted.start_s, wanted.end_s, probe.duration)
    if wanted.end_s - wanted.start_s > settings.clip_max_s:
        raise RangeRefused(f"a clip may be {settings.clip_max_s:g} s long at most")
    work_dir.mkdir(parents=True, exist_ok=True)
    video = probe.video
    fps = fps_expression(output_frame_rate(video))
    frames = round((Fraction(wanted.end_s) - Fraction(wanted.start_s)) * Fraction(fps))
    centre = 0.5
    if edit.reframe == "face":
        centre = face_centre(_sample_frames(source, probe, wanted, work_dir, settings, cancel))
    width, height = video.display_width, video.display_height
    size = output_size(edit.aspect, width, height)
    chain = f"[0:{video.index}]fps={fps},{picture_filter(video)},"
    chain += reframe_filter(edit.aspect, edit.reframe, width, height, centre)
    if edit.captions and edit.cues:
        (work_dir / CAPTIONS_FILE).write_text(ass_script(edit.cues, *size), encoding="utf-8")
        chain += f",ass={CAPTIONS_FILE}"  # a bare name in the run's folder: nothing to escape
    graph = [f"{chain},trim=end_frame={frames}[v]"]
    maps = ["-map", "[v]"]
    if probe.audio is not None:
        samples = round((wanted.end_s - wanted.start_s) * 48000)
        graph.append(
            f"[0:{probe.audio.index}]aformat=channel_layouts=stereo,aresample=48000,"
            f"atrim=end_sample={samples},asetpts=N/SR/TB[a]"
        )
        maps += ["-map", "[a]"]
    length = wanted.end_s - wanted.start_s
    cmd = [FFMPEG, "-v", "error", "-ss", f"{wanted.start_s:.6f}", "-t", f"{length + 1:.6f}"]
    cmd += [*input_args(source, probe.demuxer), "-filter_complex", ";".join(graph), *maps]
    cmd += mp4_args(fps, output)
    stats = run_ffmpeg(
        cmd,
        timeout=settings.ffmpeg_timeout_s,
        cwd=work_dir,
        cancel=cancel,
        on_progress=on_progress,
        duration=length,
    )
    return size, stats


def render_clip_step(ctx: StepContext) -> StepResult:
    """Render the clip from its parent's source: the MP4 download, and the source the rest of
    the clip's plan encodes (`data["source_key"]`)."""
    meta = ctx.metadata
    if meta.range_start_s is None or meta.range_end_s is None:
        raise RangeRefused("a clip needs the range of its parent it was cut from")
    wanted = Cut(start_s=meta.range_start_s, end_s=meta.range_end_s)
    edit = msgspec.convert(meta.edit or {}, ClipEdit)
    probe = probe_of(ctx)
    local = ctx.work_dir / CLIP_KEY
    if probe.video is None:
        from pipelines.media.audiogram import render_audiogram  # audio parents only

        size, stats = render_audiogram(
            ctx.source, probe, wanted, edit, meta, local, ctx.settings,
            work_dir=ctx.work_dir, cancel=ctx.cancel, on_progress=ctx.on_progress,
        )  # fmt: skip
    else:
        size, stats = render_video_clip(
            ctx.source, probe, wanted, edit, local, ctx.settings,
            work_dir=ctx.work_dir, cancel=ctx.cancel, on_progress=ctx.on_progress,
        )  # fmt: skip
    asset = put_asset(ctx.outputs, "mp4", CLIP_KEY, local, width=size[0], height=size[1])
    length = wanted.end_s - wanted.start_s
    return StepResult(
        assets=[asset],
        data={"source_key": CLIP_KEY, "duration": length, "width": size[0], "height": size[1]},
        media_seconds=length,
        cpu_seconds=round(stats.cpu_seconds, 3),
    )
