"""The video encode: one decode split into every H.264 rung, plus an AAC rendition per audio
track, the MP3 download of the default track and each rung's I-frame playlist.

One ffmpeg process decodes the source once, deinterlaces it (each frame's own flag and field
order decide), makes it constant-rate 8-bit 4:2:0 (tone-mapping HDR) from 0 to the end of its
longest stream, splits it and scales each branch to its rung (square pixels: anamorphic DV and
DVD come out at their display aspect); x264 keyframes every segment length with scene-cut
keyframes off, so every rung cuts its segments at the same instants (closed GOPs) and each
segment's first frame is its I-frame. Each audio track is loudness-normalised (a dead channel
filled from the live one) and encoded once, as a member of the audio group every video variant
plays with; the default track is also the audio-only variant and the MP3. A still picture with
sound is encoded once, at one frame a second, in one rung. Timing: see timing.py. Playlists
grow as EVENT and are published while the encode runs.

The sound is a second ffmpeg process beside the picture's: its gain is only known once the
loudness pass has read the whole recording (seconds for an hour), and the picture need not wait
for that. The picture starts at once; the sound starts when its loudness is measured, and being
cheap it catches up long before the first picture segment is whole (a 60-minute 1080p video
played after its loudness pass plus its first segments, one after the other, before).

A long video is encoded in chunks, each its own job (pipelines/chunks.py): a chunk encodes the
ladder for its run of segments, with the segment names and timestamps of a single encode; the
first chunk also encodes every audio rendition and the MP3, and publishes as it goes, so the
beginning plays while later chunks encode. The step's whole job then joins the chunks'
playlists (chunk_join.py) and writes the master, as one encode would.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import msgspec

from pipelines.chunks import (
    ChunkRange,
    ChunkRule,
    chunk_count,
    chunk_range,
    opening_keyframes,
    opening_segments,
    segment_frames,
)
from pipelines.context import AssetOut, StepContext, StepResult
from pipelines.media.audio import hls_output_args
from pipelines.media.chunk_join import (
    ChunkOutput,
    check_joinable,
    describe_folder,
    joined_bandwidth,
    joined_iframes,
    joined_playlist,
)
from pipelines.media.errors import ChunksMismatch, MediaRejected
from pipelines.media.hls import AAC_LC, AUDIO_GROUP, Variant, build_master, measure_bandwidth
from pipelines.media.iframes import IFRAME_PLAYLIST, iframe_playlist, write_iframe_playlist
from pipelines.media.ladder import Rung, build_ladder, fps_expression
from pipelines.media.loudness import Loudness, measure_loudness, normalise_filter
from pipelines.media.mp3 import cover_input_args, mp3_output_args
from pipelines.media.probe import Probe, VideoInfo, input_args, probe_of
from pipelines.media.progressive import ProgressivePublisher
from pipelines.media.runner import FFMPEG, Cancel, RunStats, run_ffmpeg, run_parallel
from pipelines.media.still import STILL_FRAME_RATE, extract_still, is_still_picture
from pipelines.media.timing import (
    NO_B_FRAMES,
    audio_timing_filter,
    chunk_timing_filter,
    video_timing_filter,
)
from pipelines.media.tracks import Track, tracks_of
from settings import Settings

__all__ = [
    "encode_video_step",
    "picture_graph",
    "sound_graph",
    "normalise_video_filter",
    "picture_filter",
    "deinterlace_filter",
]

AUDIO_NAME = "audio"
AUDIO_BITRATE = 128_000
AUDIO_RATE = 48_000
MASTER_KEY = "hls/master.m3u8"
MP3_KEY = "download/audio.mp3"
# A still picture's one rung: its short side at most this (a slide needs no 4K).
STILL_MAX_SHORT = 1080
# HDR (PQ or HLG) to SDR BT.709 through linear light; hable keeps highlights from clipping.
TONEMAP = (
    "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,"
    "tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv"
)
# bwdif over yadif: it looks better on church footage's slow pans, at 1.6x yadif's cost.
# `deint=interlaced` leaves progressive frames untouched (pixel-identical), so a stream that
# mixes both, or an MPEG-2 file flagged "unknown", is safe; `parity=auto` takes the field order
# from each frame.
DEINTERLACE = "bwdif=mode=send_frame:parity=auto:deint=interlaced"
# A chunk's input is opened this long before its first frame: the deinterlacer and the fps
# filter see the frames before it, as they do in one pass (they need one or two); and read this
# long past its end. Decoding from the source keyframe before it is ffmpeg's cost of a seek.
CHUNK_PREROLL_S = 0.5
CHUNK_OVERRUN_S = 1.0


class Encode(msgspec.Struct, kw_only=True, frozen=True):
    """What one encode makes: its rungs, audio tracks and whether it is a still picture."""

    rungs: list[Rung]
    tracks: list[Track]
    still: bool = False


def picture_filter(video: VideoInfo) -> str:
    """SDR, 8-bit 4:2:0: what every player (and Pillow, for stills) decodes.

    ffmpeg has already applied the rotation from the display matrix (autorotate) by the time
    frames reach a filter graph, so sizes after this are display sizes.
    """
    return f"{TONEMAP},format=yuv420p" if video.hdr else "format=yuv420p"


def deinterlace_filter(video: VideoInfo) -> str:
    """The deinterlacer and a comma, for a stream that is (or may be) interlaced; else ""."""
    return f"{DEINTERLACE}," if video.interlaced else ""


def normalise_video_filter(video: VideoInfo, fps: float) -> str:
    """Deinterlaced, constant frame rate (phones record variable), the picture made playable."""
    return f"{deinterlace_filter(video)}fps={fps_expression(fps)},{picture_filter(video)}"


def sound_graph(probe: Probe, plan: Encode, loudness: dict[int, Loudness]) -> str:
    """Each audio track normalised and timed into `[a0]`, `[a1]`..., and the default one's
    `[mp3]`, from input 0 (the source, whole)."""
    chains = []
    for i, track in enumerate(plan.tracks):
        normalised = (
            f"[0:{track.stream}]aformat=channel_layouts=stereo,"
            f"{normalise_filter(loudness[track.stream], AUDIO_RATE)}"
        )
        timing = audio_timing_filter(probe.duration, AUDIO_RATE)
        if track.default:
            # The MP3 is a file of its own: no HLS priming to pay for, no padding to the picture.
            chains.append(f"{normalised},asplit=2[t{i}][mp3src]")
            chains.append(f"[t{i}]{timing}[a{i}]")
            chains.append("[mp3src]aformat=channel_layouts=stereo[mp3]")
        else:
            chains.append(f"{normalised},{timing}[a{i}]")
    return ";".join(chains)


def picture_graph(probe: Probe, plan: Encode, chunk: ChunkRange | None = None) -> str:
    """The picture of input 0 (the source, or a still picture's PNG) decoded once, timed, made
    playable, split once and scaled per rung into `[v0]`, `[v1]`... A chunk's picture is its
    range only, from input 0 opened at its seek point.
    """
    assert probe.video is not None
    fps = plan.rungs[0].frame_rate
    source = "[0:v]" if plan.still else f"[0:{probe.video.index}]"
    deinterlace = "" if plan.still else deinterlace_filter(probe.video)
    if chunk is None:
        timing = video_timing_filter(fps_expression(fps), probe.duration)
    else:
        timing = chunk_timing_filter(
            fps_expression(fps), probe.duration, _seek(chunk), chunk.start_s, chunk.frames
        )
    labels = "".join(f"[s{i}]" for i in range(len(plan.rungs)))
    graph = [
        f"{source}{deinterlace}{timing},{picture_filter(probe.video)},"
        f"split={len(plan.rungs)}{labels}"
    ]
    for i, rung in enumerate(plan.rungs):
        # A lower rung of a 50/60 fps source keeps every other frame.
        rate = f"fps={fps_expression(rung.frame_rate)}," if rung.frame_rate != fps else ""
        graph.append(f"[s{i}]{rate}scale={rung.width}:{rung.height}:flags=bicubic,setsar=1[v{i}]")
    return ";".join(graph)


def _seek(chunk: ChunkRange) -> float:
    return max(0.0, chunk.start_s - CHUNK_PREROLL_S)


def _rung_args(
    rung: Rung,
    folder: Path,
    settings: Settings,
    label: str,
    still: bool,
    chunk: ChunkRange | None = None,
) -> list[str]:
    gop = segment_frames(rung.frame_rate, settings.hls_segment_s)
    tune = ["-tune", "stillimage"] if still else []
    forced, segment_s = _opening(gop, settings, chunk)
    # A chunk's frames keep their place on the whole video's clock: ffmpeg must neither fill
    # the time before them with copies (its default for a stream starting late) nor the muxer
    # count from zero (frag_discont: each fragment's decode time is its own), and its segments
    # are numbered on from the ones before.
    chunked = [] if chunk is None else [
        "-fps_mode", "passthrough",
        "-hls_segment_options", "movflags=+frag_discont",
        "-start_number", str(chunk.first_segment),
    ]  # fmt: skip
    return [
        "-map", f"[{label}]",
        "-c:v", "libx264", "-preset", settings.x264_preset, *tune,
        "-profile:v", "high", "-level:v", f"{rung.level / 10:.1f}",
        "-b:v", str(rung.bitrate), "-maxrate", str(rung.maxrate), "-bufsize", str(rung.bufsize),
        "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0", "-flags", "+cgop",
        *forced, *NO_B_FRAMES, "-pix_fmt", "yuv420p", *chunked,
        *hls_output_args(folder, segment_s),
    ]  # fmt: skip


def _opening(gop: int, settings: Settings, chunk: ChunkRange | None) -> tuple[list[str], float]:
    """The first GOP cut into short segments: keyframes forced inside it, and the muxer's
    segment length set to the short one (its next cut is then due before the next keyframe
    every time, so it cuts at each). A chunk after the first has whole GOPs only."""
    first_gop = chunk is None or chunk.start_frame == 0
    frames = opening_keyframes(gop, opening_segments(settings)) if first_gop else []
    if not frames:
        return [], settings.hls_segment_s
    expression = "+".join(f"eq(n,{n})" for n in frames)
    return ["-force_key_frames", f"expr:{expression}"], settings.hls_opening_segment_s


def picture_command(
    ctx: StepContext,
    probe: Probe,
    plan: Encode,
    hls_dir: Path,
    still: Path | None = None,
    chunk: ChunkRange | None = None,
) -> list[str]:
    """The ffmpeg command of the picture: every rung of the whole video, of one chunk of it
    (`chunk`: its own range of the source), or of a still picture (its PNG, looped)."""
    assert probe.video is not None
    cmd = [FFMPEG, "-v", "warning"]
    if still is not None:
        # The looped picture is an endless input: its own -t ends it with the sound.
        cmd += ["-loop", "1", "-framerate", f"{STILL_FRAME_RATE:g}", "-t", f"{probe.duration:.3f}"]
        cmd += cover_input_args(still)
    else:
        if chunk is not None:
            seek = _seek(chunk)
            cmd += ["-ss", f"{seek:.6f}"] if seek > 0 else []
            if not chunk.last:
                cmd += ["-t", f"{chunk.end_s - seek + CHUNK_OVERRUN_S:.6f}"]
        cmd += input_args(ctx.source, probe.demuxer)
    cmd += ["-filter_complex", picture_graph(probe, plan, chunk)]
    for i, rung in enumerate(plan.rungs):
        cmd += _rung_args(rung, hls_dir / rung.name, ctx.settings, f"v{i}", plan.still, chunk)
    return cmd


def sound_command(
    ctx: StepContext,
    probe: Probe,
    plan: Encode,
    loudness: dict[int, Loudness],
    hls_dir: Path,
    still: Path | None = None,
) -> list[str]:
    """The ffmpeg command of the sound, always of the whole source: every audio rendition and
    the default track's MP3 (a still picture's PNG as its cover)."""
    cmd = [FFMPEG, "-v", "warning", *input_args(ctx.source, probe.demuxer)]
    if still is not None:
        cmd += cover_input_args(still)
    cmd += ["-filter_complex", sound_graph(probe, plan, loudness)]
    for i, track in enumerate(plan.tracks):
        cmd += ["-map", f"[a{i}]", "-c:a", "aac", "-b:a", str(AUDIO_BITRATE), "-ac", "2"]
        cmd += hls_output_args(hls_dir / track.folder, ctx.settings.hls_segment_s)
    cover = 1 if still is not None else None
    cmd += mp3_output_args("mp3", ctx.metadata, ctx.work_dir / "audio.mp3", cover)
    return cmd


# (peak, average) bits per second by variant folder, measured by a chunked encode's join.
Measured = dict[str, tuple[int, int]]


def _measured(hls_dir: Path | Measured | None, folder: str, nominal: int) -> tuple[int, int]:
    if isinstance(hls_dir, dict):
        return hls_dir.get(folder, (nominal, nominal))
    if hls_dir is not None and (hls_dir / folder / "index.m3u8").is_file():
        return measure_bandwidth(hls_dir / folder)
    return nominal, nominal


def audio_variants(tracks: list[Track], hls_dir: Path | Measured | None) -> list[Variant]:
    """The audio group's members; the default one is also the audio-only variant. Measured
    from the segments in `hls_dir` (or given, by folder), nominal before they exist."""
    return [
        Variant(
            name=track.name,
            uri=f"{track.folder}/index.m3u8",
            bandwidth=peak,
            average_bandwidth=average,
            codecs=AAC_LC,
            audio_only=track.default,
            group_id=AUDIO_GROUP,
            channels=2,
            default=track.default,
            language=track.language,
        )
        for track in tracks
        for peak, average in [_measured(hls_dir, track.folder, AUDIO_BITRATE)]
    ]


def video_variants(
    plan: Encode,
    hls_dir: Path | Measured | None,
    iframes: dict[str, tuple[int, int]] | None = None,
) -> list[Variant]:
    """Master entries: measured from segments once they exist, nominal before."""
    audio = audio_variants(plan.tracks, hls_dir)
    # A player fetches video and one member of the group together: the spec counts both, and
    # the member it picks may be the largest.
    audio_peak = max((a.bandwidth for a in audio), default=0)
    audio_avg = max((a.average_bandwidth for a in audio), default=0)
    variants = []
    for rung in plan.rungs:
        peak, average = _measured(hls_dir, rung.name, rung.maxrate)
        if hls_dir is None:
            average = rung.bitrate
        variants.append(
            Variant(
                name=rung.name,
                uri=f"{rung.name}/index.m3u8",
                bandwidth=peak + audio_peak,
                average_bandwidth=average + audio_avg,
                codecs=f"{rung.codecs},{AAC_LC}" if audio else rung.codecs,
                resolution=rung.resolution,
                frame_rate=rung.frame_rate,
                audio_group=AUDIO_GROUP if audio else None,
            )
        )
    for rung in plan.rungs:
        if iframes and rung.name in iframes:
            peak, average = iframes[rung.name]
            variants.append(
                Variant(
                    name=f"{rung.name} I-frames",
                    uri=f"{rung.name}/{IFRAME_PLAYLIST}",
                    bandwidth=peak,
                    average_bandwidth=average,
                    codecs=rung.codecs,
                    resolution=rung.resolution,
                    iframes_only=True,
                )
            )
    return variants + audio


def plan_encode(ctx: StepContext, probe: Probe, still: bool) -> Encode:
    """The rungs and tracks this source gets."""
    assert probe.video is not None
    rungs = build_ladder(
        probe.video, ctx.settings.ladder_heights, ctx.settings.video_high_frame_rate_min_height
    )
    if still:
        top = next((r for r in rungs if min(r.width, r.height) <= STILL_MAX_SHORT), rungs[-1])
        rungs = [msgspec.structs.replace(top, frame_rate=STILL_FRAME_RATE)]
    return Encode(rungs=rungs, tracks=tracks_of(probe.audios, ctx.metadata.language), still=still)


def _loudness(
    ctx: StepContext, probe: Probe, cancel: Cancel
) -> tuple[dict[int, Loudness], list[RunStats]]:
    figures: dict[int, Loudness] = {}
    runs: list[RunStats] = []
    for audio in probe.audios:
        measured, stats = measure_loudness(
            ctx.source, probe, ctx.settings, work_dir=ctx.work_dir, cancel=cancel, track=audio
        )
        figures[audio.index] = measured
        runs += stats
    return figures, runs


class _SlowestPart:
    """The step's progress as far as its slower process: the picture and the sound each report
    their own fraction."""

    def __init__(self, report: Callable[[float], None], parts: int) -> None:
        self._report = report
        self._done = [0.0] * parts
        self._lock = threading.Lock()

    def part(self, index: int) -> Callable[[float], None]:
        def progress(fraction: float) -> None:
            with self._lock:
                self._done[index] = fraction
                least = min(self._done)
            self._report(least)

        return progress


class _Sound:
    """The sound's share of an encode: its loudness pass, then its process. Its figures are
    kept here for the step's result."""

    def __init__(
        self, ctx: StepContext, probe: Probe, plan: Encode, hls_dir: Path, still: Path | None
    ) -> None:
        self.ctx, self.probe, self.plan, self.hls_dir, self.still = ctx, probe, plan, hls_dir, still
        self.loudness: dict[int, Loudness] = {}
        self.measured: list[RunStats] = []
        self.ended = False

    def run(self, cancel: Cancel, on_progress: Callable[[float], None]) -> RunStats:
        try:
            return self._run(cancel, on_progress)
        finally:
            self.ended = True

    def _run(self, cancel: Cancel, on_progress: Callable[[float], None]) -> RunStats:
        self.loudness, self.measured = _loudness(self.ctx, self.probe, cancel)
        cmd = sound_command(
            self.ctx, self.probe, self.plan, self.loudness, self.hls_dir, self.still
        )
        return run_ffmpeg(
            cmd,
            timeout=self.ctx.settings.ffmpeg_timeout_s,
            cwd=self.ctx.work_dir,
            cancel=cancel,
            on_progress=on_progress,
            duration=self.probe.duration,
            # Its first segment needs little CPU, and the picture's is what the listener waits
            # for: at equal weight (each process is its own group to the scheduler) the sound
            # took a core from the picture for the whole encode.
            background=True,
        )


class _PictureWaits:
    """Set (the picture's process stopped) from when every rung has its first segment until
    every audio rendition has its first, or the sound has ended.

    A listener can start only when both have one, and the sound has none until its loudness
    pass has read the whole recording (9 CPU seconds for an hour). Meanwhile the picture's
    later segments took half the machine from that pass: a 60-minute video's first playable
    came at 11 s, its picture's first segment long before. Stopped, the picture leaves the
    pass every core; the machine stays as busy, so the whole encode takes no longer.
    """

    def __init__(self, hls_dir: Path, plan: Encode, sound: _Sound) -> None:
        self.rungs = [hls_dir / rung.name / "index.m3u8" for rung in plan.rungs]
        self.tracks = [hls_dir / track.folder / "index.m3u8" for track in plan.tracks]
        self.sound = sound
        self.over = False

    def is_set(self) -> bool:
        if self.over:
            return False
        if self.sound.ended or all(playlist.is_file() for playlist in self.tracks):
            self.over = True
            return False
        return all(playlist.is_file() for playlist in self.rungs)


def _picture_job(
    ctx: StepContext,
    cmd: list[str],
    duration: float,
    progress: _SlowestPart,
    waits: _PictureWaits | None,
) -> Callable[[Cancel], RunStats]:
    def run(cancel: Cancel) -> RunStats:
        return run_ffmpeg(
            cmd,
            timeout=ctx.settings.ffmpeg_timeout_s,
            cwd=ctx.work_dir,
            cancel=cancel,
            on_progress=progress.part(0),
            duration=duration,
            hold=waits,
            # The first chunk is the one a listener waits for and, with the sound, the longest:
            # where chunks share a machine, a later one yields the CPU to it (and takes all
            # it can when nothing else runs).
            background=ctx.chunk > 1,
        )

    return run


def _publisher(
    ctx: StepContext, plan: Encode, hls_dir: Path, chunk: ChunkRange | None, started: float
) -> ProgressivePublisher:
    """Segments to storage as they come; the master once every variant has one (never by a
    later chunk, whose playlists only the join writes)."""
    return ProgressivePublisher(
        ctx.outputs,
        hls_dir,
        [r.name for r in plan.rungs] + [t.folder for t in plan.tracks],
        None if ctx.chunk > 1 else lambda: build_master(video_variants(plan, None)),
        started=started,
        open_ended=[r.name for r in plan.rungs] if chunk is not None else (),
        playlists=ctx.chunk <= 1,
        target_s=ctx.settings.hls_segment_s,
    )


def encode_video_step(ctx: StepContext) -> StepResult:
    """Encode the ladder and the audio renditions, the picture and the sound side by side;
    publish segments as they come. A chunk's job (`ctx.chunk`) encodes its chunk; the whole job
    of a chunked encode (given its chunks' results) joins them."""
    if ctx.chunks:
        return join_chunks(ctx)
    started = time.monotonic()
    probe = probe_of(ctx)
    if probe.video is None:
        raise MediaRejected("the file has no video to encode")
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    still_path: Path | None = None
    if _is_still(ctx, probe):
        if ctx.chunk > 1:
            return StepResult(skipped="a still picture is encoded whole by the first chunk")
        still_path = extract_still(ctx.source, probe, ctx.settings, ctx.work_dir, ctx.cancel)
    plan = plan_encode(ctx, probe, still_path is not None)
    chunk = _chunk_range(ctx, probe, plan) if ctx.chunk and still_path is None else None
    if ctx.chunk > 1:
        plan = msgspec.structs.replace(plan, tracks=[])  # the first chunk encodes the sound
    hls_dir = ctx.work_dir / "hls"
    # A retried step must not publish the segments of the attempt before it.
    shutil.rmtree(hls_dir, ignore_errors=True)
    picture = picture_command(ctx, probe, plan, hls_dir, still_path, chunk)
    sound = _Sound(ctx, probe, plan, hls_dir, still_path)
    progress = _SlowestPart(ctx.on_progress, 2 if plan.tracks else 1)
    waits = _PictureWaits(hls_dir, plan, sound) if plan.tracks and not plan.still else None
    end = probe.duration if chunk is None else chunk.end_s
    jobs = [_picture_job(ctx, picture, end, progress, waits)]
    if plan.tracks:
        jobs.append(lambda cancel: sound.run(cancel, progress.part(1)))
    publisher = _publisher(ctx, plan, hls_dir, chunk, started)
    with publisher:
        runs = run_parallel(jobs, cancel=ctx.cancel)
    loudness = sound.loudness
    ttfp = publisher.finish()
    cpu = round(sum(run.cpu_seconds for run in [*runs, *sound.measured]), 3)
    ttfp = round(ttfp, 3) if ttfp is not None else None
    if ctx.chunk:
        return _chunk_result(ctx, plan, loudness, hls_dir, chunk, cpu, ttfp, probe.duration)
    iframes = {}
    for rung in plan.rungs:
        iframes[rung.name] = write_iframe_playlist(hls_dir / rung.name)
        ctx.outputs.put_file(
            f"hls/{rung.name}/{IFRAME_PLAYLIST}", hls_dir / rung.name / IFRAME_PLAYLIST
        )
    variants = video_variants(plan, hls_dir, iframes)
    ctx.outputs.put_bytes(MASTER_KEY, build_master(variants).encode(), live=True)
    assets = [_asset(v) for v in variants]
    if plan.tracks:
        mp3_bytes = ctx.outputs.put_file(MP3_KEY, ctx.work_dir / "audio.mp3")
        assets.append(AssetOut(kind="mp3", key=MP3_KEY, bytes=mp3_bytes, bitrate=128_000))
    return StepResult(
        assets=assets,
        data=_encode_data(plan, variants, _loudness_data(loudness)),
        media_seconds=probe.duration,
        cpu_seconds=cpu,
        time_to_first_playable=ttfp,
    )


def _is_still(ctx: StepContext, probe: Probe) -> bool:
    """Whether the video is a still picture: as the probe step found (once for every chunk),
    or looked at now when run alone."""
    probed = ctx.previous.get("probe")
    if probed is not None and "still" in probed.data:
        return bool(probed.data["still"])
    return is_still_picture(ctx.source, probe, ctx.settings, ctx.work_dir, ctx.cancel)


def _loudness_data(loudness: dict[int, Loudness]) -> dict[str, object]:
    return {str(k): msgspec.to_builtins(v) for k, v in loudness.items()}


def _encode_data(plan: Encode, variants: list[Variant], loudness: object) -> dict[str, object]:
    """What the encode tells later steps (publish, an added track): the same whole or chunked."""
    return {
        "variants": msgspec.to_builtins(variants),
        "rungs": msgspec.to_builtins(plan.rungs),
        "tracks": msgspec.to_builtins(plan.tracks),
        "loudness": loudness,
        "still": plan.still,
        "master_key": MASTER_KEY,
        "mp3_key": MP3_KEY if plan.tracks else None,
    }


def _chunk_range(ctx: StepContext, probe: Probe, plan: Encode) -> ChunkRange:
    rule = ChunkRule.from_settings(ctx.settings)
    count = chunk_count(probe.duration, rule)
    if ctx.chunk > count:
        raise ChunksMismatch(f"chunk {ctx.chunk} of a video now cut into {count} chunks")
    rate = Fraction(fps_expression(plan.rungs[0].frame_rate))
    return chunk_range(ctx.chunk, count, probe.duration, rate, rule)


def _chunk_result(
    ctx: StepContext,
    plan: Encode,
    loudness: dict[int, Loudness],
    hls_dir: Path,
    chunk: ChunkRange | None,
    cpu: float,
    ttfp: float | None,
    duration: float,
) -> StepResult:
    """A chunk's description of what it made, for the join; the first chunk's also says what the
    encode is (its rungs and tracks) and stores the MP3. A still picture's only chunk is whole."""
    folders = {r.name: describe_folder(hls_dir / r.name, iframes=True) for r in plan.rungs}
    folders |= {t.folder: describe_folder(hls_dir / t.folder, iframes=False) for t in plan.tracks}
    first_segment = chunk.first_segment if chunk is not None else 0
    output = ChunkOutput(number=ctx.chunk, first_segment=first_segment, folders=folders)
    data: dict[str, object] = {"chunk": msgspec.to_builtins(output)}
    if ctx.chunk == 1:
        mp3_bytes = ctx.outputs.put_file(MP3_KEY, ctx.work_dir / "audio.mp3") if plan.tracks else 0
        data |= _encode_data(plan, [], _loudness_data(loudness)) | {"mp3_bytes": mp3_bytes}
    start, end = (chunk.start_s, chunk.end_s) if chunk is not None else (0.0, duration)
    return StepResult(
        data=data,
        media_seconds=round(end - start, 3),
        cpu_seconds=cpu,
        time_to_first_playable=ttfp,
    )


def join_chunks(ctx: StepContext) -> StepResult:
    """The whole job of a chunked encode: the variant and I-frame playlists of the chunks' segments
    end to end, and the master, as one encode writes them (from the chunks' descriptions; no
    media is read)."""
    if 1 not in ctx.chunks:
        raise ChunksMismatch("the first chunk's result is missing")
    first = ctx.chunks[1].data
    plan = Encode(
        rungs=msgspec.convert(first["rungs"], list[Rung]),
        tracks=msgspec.convert(first["tracks"], list[Track]),
        still=bool(first["still"]),
    )
    outputs = [
        msgspec.convert(ctx.chunks[n].data["chunk"], ChunkOutput) for n in sorted(ctx.chunks)
    ]
    check_joinable(outputs, [r.name for r in plan.rungs])
    measured: Measured = {}
    for name in [r.name for r in plan.rungs] + [t.folder for t in plan.tracks]:
        parts = [output.folders[name] for output in outputs if name in output.folders]
        ctx.outputs.put_bytes(f"hls/{name}/index.m3u8", joined_playlist(parts).encode())
        measured[name] = joined_bandwidth(parts)
    iframes = {}
    for rung in plan.rungs:
        parts = [output.folders[rung.name] for output in outputs]
        text, iframes[rung.name] = iframe_playlist(joined_iframes(parts), parts[0].init)
        ctx.outputs.put_bytes(f"hls/{rung.name}/{IFRAME_PLAYLIST}", text.encode())
    variants = video_variants(plan, measured, iframes)
    ctx.outputs.put_bytes(MASTER_KEY, build_master(variants).encode(), live=True)
    assets = [_asset(v) for v in variants]
    if plan.tracks:
        mp3_bytes = int(first.get("mp3_bytes") or 0)
        assets.append(AssetOut(kind="mp3", key=MP3_KEY, bytes=mp3_bytes, bitrate=128_000))
    return StepResult(
        assets=assets,
        data=_encode_data(plan, variants, first["loudness"]),
        time_to_first_playable=ctx.chunks[1].time_to_first_playable,
    )


def _asset(variant: Variant) -> AssetOut:
    kind = "hls_iframe" if variant.iframes_only else "hls_variant"
    if variant.group_id and not variant.audio_only:
        kind = "audio_rendition"
    return AssetOut(
        kind=kind,
        key=f"hls/{variant.uri}",
        bitrate=variant.average_bandwidth,
        width=_size(variant.resolution, 0),
        height=_size(variant.resolution, 1),
        language=variant.language,
    )


def _size(resolution: str | None, part: int) -> int | None:
    return int(resolution.split("x")[part]) if resolution else None
