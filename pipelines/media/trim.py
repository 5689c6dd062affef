"""Cutting a range out of a source: frame-accurate for video, sample-accurate for audio.

The cut is a work file that the rest of the plan (loudness, ladder, waveform, transcript) then
reads as the generation's source, so it re-encodes only what must be:

- The range snaps to the frame grid (video) or the sample grid (audio): its duration is then an
  exact number of frames and samples, and the first frame is the one at the requested time.
- Audio is cut with `atrim` by sample count into FLAC: lossless, so the later AAC/MP3 encodes
  see the same samples as the source, and FLAC has no encoder priming to shift them.
- Video is stream-copied when the cut starts on a keyframe of a constant-rate stream without
  B-frames (a copied GOP then decodes whole, and packet order is picture order); otherwise it is
  re-encoded once at a near-transparent quality, the way an editor would type it.

`plan_cut` is pure; `cut` runs the one ffmpeg process.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import msgspec

from pipelines.context import StepContext, StepResult
from pipelines.media.errors import RangeRefused
from pipelines.media.ladder import fps_expression, output_frame_rate
from pipelines.media.probe import Probe, input_args, probe_of
from pipelines.media.runner import FFMPEG, Cancel, RunStats, run_ffmpeg, run_ffprobe
from settings import Settings

__all__ = ["Cut", "CutPlan", "check_range", "cut", "keyframe_near", "plan_cut", "trim_step"]

# Where the cut source goes, relative to the generation's folder; later steps read it.
TRIMMED_KEY = "source/trimmed"
# A cut shorter than one second is a slip of the mouse, not a sermon.
MIN_RANGE_S = 1.0
# x264 at CRF 14 is visually transparent; the ladder re-encodes it right after.
INTERMEDIATE_CRF = "14"


class Cut(msgspec.Struct, frozen=True, kw_only=True):
    start_s: float
    end_s: float


class CutPlan(msgspec.Struct, frozen=True, kw_only=True):
    """A range on the media's own grid: what the output will hold exactly."""

    start_s: float  # the first frame's (or sample's) time in the source
    duration_s: float
    frames: int | None = None  # video frames in the output
    frame_rate: str | None = None  # ffmpeg's expression of the rate, e.g. "30000/1001"
    samples: int | None = None  # audio samples in the output
    audio_start_s: float | None = None  # the first sample's time, on the sample grid
    copy_video: bool = False


def check_range(start_s: float, end_s: float, duration: float) -> None:
    """Refuse a range the media cannot give, saying which rule and by how much."""
    if not (math.isfinite(start_s) and math.isfinite(end_s)):
        raise RangeRefused("the range must be numbers of seconds")
    if start_s < 0:
        raise RangeRefused("the range starts before the media does (start_s < 0)")
    if end_s <= start_s:
        raise RangeRefused(f"the range ends ({end_s:g} s) before it starts ({start_s:g} s)")
    if end_s - start_s < MIN_RANGE_S:
        raise RangeRefused(f"the range is shorter than {MIN_RANGE_S:g} s")
    if end_s > duration + 0.001:
        raise RangeRefused(f"the range ends at {end_s:g} s; the media is {duration:.3f} s long")


def plan_cut(
    probe: Probe, wanted: Cut, keyframe: float | None = None, b_frames: bool = True
) -> CutPlan:
    """The range on the frame and sample grids; `keyframe` is the source's keyframe nearest at or
    after the start (None when unknown), which lets the video be copied."""
    check_range(wanted.start_s, wanted.end_s, probe.duration)
    samples = audio_start = None
    if probe.video is None:
        assert probe.audio is not None
        rate = probe.audio.sample_rate
        first, last = round(wanted.start_s * rate), round(wanted.end_s * rate)
        return CutPlan(
            start_s=first / rate,
            duration_s=(last - first) / rate,
            samples=last - first,
            audio_start_s=first / rate,
        )
    expression = fps_expression(output_frame_rate(probe.video))
    fps = Fraction(expression)
    first = round(Fraction(wanted.start_s) * fps)
    last = round(Fraction(wanted.end_s) * fps)
    start, duration = first / fps, (last - first) / fps
    if probe.audio is not None:
        rate = probe.audio.sample_rate
        # The audio starts and ends where the pictures do, rounded to a sample.
        audio_first = round(start * rate)
        samples = round(duration * rate)
        audio_start = audio_first / rate
    on_keyframe = keyframe is not None and abs(keyframe - float(start)) < 0.5 / float(fps)
    copy = on_keyframe and not b_frames and not probe.video.variable_frame_rate
    return CutPlan(
        start_s=float(start),
        duration_s=float(duration),
        frames=last - first,
        frame_rate=expression,
        samples=samples,
        audio_start_s=audio_start,
        copy_video=copy,
    )


def keyframe_near(
    source: Path,
    probe: Probe,
    at: float,
    settings: Settings,
    work_dir: Path,
    cancel: Cancel | None = None,
) -> tuple[float | None, bool]:
    """The first keyframe at or after `at` (within a few seconds), and whether the stream has
    B-frames. Reads only that window of the file: seeking, not scanning a two-hour recording."""
    assert probe.video is not None
    args = ["-v", "error", *_probe_input(source, probe)]
    args += [
        "-select_streams",
        f"{probe.video.index}",
        "-read_intervals",
        f"{max(0.0, at - 0.1):.3f}%+4",
    ]
    args += [
        "-skip_frame",
        "nokey",
        "-show_entries",
        "frame=pts_time,best_effort_timestamp_time:stream=has_b_frames",
    ]
    args += ["-print_format", "json"]
    stats = run_ffprobe(args, timeout=settings.ffprobe_timeout_s, cwd=work_dir, cancel=cancel)
    found = json.loads(stats.stdout or b"{}")
    times = []
    for frame in found.get("frames", []):
        value = frame.get("pts_time") or frame.get("best_effort_timestamp_time")
        if value not in (None, "N/A"):
            times.append(float(value))
    b_frames = any(
        int(s.get("has_b_frames") or 0) > 0 for s in found.get("streams", [])
    ) or not found.get("streams")
    after = sorted(t for t in times if t >= at - 0.001)
    return (after[0] if after else None), b_frames


def _probe_input(source: Path, probe: Probe) -> list[str]:
    """ffprobe's half of input_args: the same whitelists and demuxer, no `-i`."""
    args = input_args(source, probe.demuxer)
    return [*args[: args.index("-i")], f"file:{source.resolve()}"]


def cut_command(source: Path, probe: Probe, plan: CutPlan, output: Path) -> list[str]:
    """One ffmpeg run: the video input seeks to the first frame, the audio input to the first
    sample, and each stream stops after exactly its count (a filter's count, not `-frames`,
    which would end the whole file while the encoder still holds frames)."""
    cmd = [FFMPEG, "-v", "error"]
    # Read a little past the end: the counts below decide where each stream stops.
    window = f"{plan.duration_s + 1:.6f}"
    graph: list[str] = []
    maps: list[str] = []
    if probe.video is not None:
        # A copied stream has no filter: its input stops at the exact end instead (constant
        # rate and no B-frames, so the packets read are the frames wanted).
        length = f"{plan.duration_s:.6f}" if plan.copy_video else window
        cmd += ["-ss", f"{plan.start_s:.6f}", "-t", length, *input_args(source, probe.demuxer)]
        if plan.copy_video:
            maps += ["-map", f"0:{probe.video.index}", "-c:v", "copy"]
        else:
            # Constant rate on the grid the frames were counted on.
            graph.append(
                f"[0:{probe.video.index}]fps={plan.frame_rate},trim=end_frame={plan.frames}[v]"
            )
            maps += ["-map", "[v]", "-c:v", "libx264", "-preset", "veryfast"]
            maps += ["-crf", INTERMEDIATE_CRF, "-pix_fmt", "yuv420p"]
    if probe.audio is not None:
        assert plan.audio_start_s is not None and plan.samples is not None
        audio_input = 1 if probe.video is not None else 0
        cmd += ["-ss", f"{plan.audio_start_s:.6f}", "-t", window]
        cmd += input_args(source, probe.demuxer)
        # atrim by count after a sample-exact seek; asetpts renumbers from the first sample.
        graph.append(
            f"[{audio_input}:{probe.audio.index}]atrim=end_sample={plan.samples},asetpts=N/SR/TB[a]"
        )
        maps += ["-map", "[a]", "-c:a", "flac", "-ar", str(probe.audio.sample_rate)]
    if graph:
        cmd += ["-filter_complex", ";".join(graph)]
    cmd += [*maps, "-map_metadata", "-1", "-y", f"file:{output.resolve()}"]
    return cmd


def output_name(probe: Probe) -> str:
    # Matroska holds H.264 (or the copied codec) and FLAC; an audio cut is plain FLAC.
    return f"{TRIMMED_KEY}.mkv" if probe.video is not None else f"{TRIMMED_KEY}.flac"


def cut(
    source: Path,
    probe: Probe,
    wanted: Cut,
    output: Path,
    settings: Settings,
    *,
    work_dir: Path,
    cancel: Cancel | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> tuple[CutPlan, RunStats]:
    """Cut `wanted` out of `source` into `output`; returns the plan it followed and the run."""
    check_range(wanted.start_s, wanted.end_s, probe.duration)
    keyframe, b_frames = None, True
    if probe.video is not None:
        keyframe, b_frames = keyframe_near(
            source, probe, wanted.start_s, settings, work_dir, cancel
        )
    plan = plan_cut(probe, wanted, keyframe, b_frames)
    output.parent.mkdir(parents=True, exist_ok=True)
    stats = run_ffmpeg(
        cut_command(source, probe, plan, output),
        timeout=settings.ffmpeg_timeout_s,
        cwd=work_dir,
        cancel=cancel,
        on_progress=on_progress,
        duration=plan.duration_s,
    )
    return plan, stats


def range_of(ctx: StepContext) -> Cut | None:
    """The range the content asked for, or None for the whole source."""
    meta = ctx.metadata
    if meta.range_start_s is None or meta.range_end_s is None:
        return None
    return Cut(start_s=meta.range_start_s, end_s=meta.range_end_s)


def trim_step(ctx: StepContext) -> StepResult:
    """Cut the content's range out of its source into the generation's trimmed source, which the
    later steps read instead of the upload (`data["source_key"]`)."""
    wanted = range_of(ctx)
    probe = probe_of(ctx)
    if wanted is None:
        return StepResult(data={"source_key": None, "duration": probe.duration})
    name = output_name(probe)
    local = ctx.work_dir / Path(name).name
    plan, stats = cut(
        ctx.source,
        probe,
        wanted,
        local,
        ctx.settings,
        work_dir=ctx.work_dir,
        cancel=ctx.cancel,
        on_progress=ctx.on_progress,
    )
    ctx.outputs.put_file(name, local)
    return StepResult(
        data={"source_key": name, "cut": msgspec.to_builtins(plan), "duration": plan.duration_s},
        media_seconds=plan.duration_s,
        cpu_seconds=round(stats.cpu_seconds, 3),
    )
