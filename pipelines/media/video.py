"""The video encode: one decode split into every H.264 rung, plus one shared AAC rendition.

One ffmpeg process decodes the source once, makes it constant-rate 8-bit 4:2:0 (tone-mapping
HDR), splits it and scales each branch to its rung; x264 keyframes every segment length with
scene-cut keyframes off, so every rung cuts its segments at the same instants (closed GOPs).
Audio is folded to stereo and encoded once, as the group every video variant plays with and as
the audio-only variant. Playlists grow as EVENT and are published while the encode runs.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import msgspec

from pipelines.context import AssetOut, StepContext, StepResult
from pipelines.media.audio import hls_output_args
from pipelines.media.errors import MediaRejected
from pipelines.media.hls import AAC_LC, AUDIO_GROUP, Variant, build_master, measure_bandwidth
from pipelines.media.ladder import Rung, build_ladder, fps_expression, output_frame_rate
from pipelines.media.probe import Probe, VideoInfo, input_args, probe_of
from pipelines.media.progressive import ProgressivePublisher
from pipelines.media.runner import FFMPEG, run_ffmpeg
from settings import Settings

__all__ = ["encode_video_step", "video_filter_graph", "normalise_video_filter", "picture_filter"]

AUDIO_NAME = "audio"
AUDIO_BITRATE = 128_000
MASTER_KEY = "hls/master.m3u8"
# HDR (PQ or HLG) to SDR BT.709 through linear light; hable keeps highlights from clipping.
TONEMAP = (
    "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,"
    "tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv"
)


def picture_filter(video: VideoInfo) -> str:
    """SDR, 8-bit 4:2:0: what every player (and Pillow, for stills) decodes.

    ffmpeg has already applied the rotation from the display matrix (autorotate) by the time
    frames reach a filter graph, so sizes after this are display sizes.
    """
    return f"{TONEMAP},format=yuv420p" if video.hdr else "format=yuv420p"


def normalise_video_filter(video: VideoInfo, fps: float) -> str:
    """Constant frame rate (phones record variable), then the picture made playable."""
    return f"fps={fps_expression(fps)},{picture_filter(video)}"


def video_filter_graph(probe: Probe, rungs: list[Rung]) -> str:
    """`[0:v]` decoded once, normalised once, split once, scaled per rung into `[v0]`, `[v1]`..."""
    assert probe.video is not None
    fps = output_frame_rate(probe.video)
    head = f"[0:{probe.video.index}]{normalise_video_filter(probe.video, fps)}"
    labels = "".join(f"[s{i}]" for i in range(len(rungs)))
    graph = [f"{head},split={len(rungs)}{labels}"]
    for i, rung in enumerate(rungs):
        graph.append(f"[s{i}]scale={rung.width}:{rung.height}:flags=bicubic,setsar=1[v{i}]")
    if probe.audio is not None:
        graph.append(f"[0:{probe.audio.index}]aformat=channel_layouts=stereo,aresample=48000[a]")
    return ";".join(graph)


def _rung_args(rung: Rung, gop: int, folder: Path, settings: Settings, label: str) -> list[str]:
    return [
        "-map", f"[{label}]",
        "-c:v", "libx264", "-preset", settings.x264_preset,
        "-profile:v", "high", "-level:v", f"{rung.level / 10:.1f}",
        "-b:v", str(rung.bitrate), "-maxrate", str(rung.maxrate), "-bufsize", str(rung.bufsize),
        "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0", "-flags", "+cgop",
        "-pix_fmt", "yuv420p",
        *hls_output_args(folder, settings.hls_segment_s),
    ]  # fmt: skip


def encode_command(ctx: StepContext, probe: Probe, rungs: list[Rung], hls_dir: Path) -> list[str]:
    assert probe.video is not None
    segment_s = ctx.settings.hls_segment_s
    gop = max(1, round(output_frame_rate(probe.video) * segment_s))
    cmd = [FFMPEG, "-v", "warning", *input_args(ctx.source, probe.demuxer)]
    cmd += ["-filter_complex", video_filter_graph(probe, rungs)]
    for i, rung in enumerate(rungs):
        cmd += _rung_args(rung, gop, hls_dir / rung.name, ctx.settings, f"v{i}")
    if probe.audio is not None:
        cmd += ["-map", "[a]", "-c:a", "aac", "-b:a", str(AUDIO_BITRATE), "-ac", "2"]
        cmd += hls_output_args(hls_dir / AUDIO_NAME, segment_s)
    return cmd


def video_variants(probe: Probe, rungs: list[Rung], hls_dir: Path | None) -> list[Variant]:
    """Master entries: measured from segments once they exist, nominal before."""
    assert probe.video is not None
    has_audio = probe.audio is not None
    audio_peak, audio_avg = AUDIO_BITRATE, AUDIO_BITRATE
    if has_audio and hls_dir is not None and (hls_dir / AUDIO_NAME / "index.m3u8").is_file():
        audio_peak, audio_avg = measure_bandwidth(hls_dir / AUDIO_NAME)
    variants = []
    for rung in rungs:
        peak, average = rung.maxrate, rung.bitrate
        if hls_dir is not None and (hls_dir / rung.name / "index.m3u8").is_file():
            peak, average = measure_bandwidth(hls_dir / rung.name)
        variants.append(
            Variant(
                name=rung.name,
                uri=f"{rung.name}/index.m3u8",
                # A player fetches video and the audio group together: the spec counts both.
                bandwidth=peak + (audio_peak if has_audio else 0),
                average_bandwidth=average + (audio_avg if has_audio else 0),
                codecs=f"{rung.codecs},{AAC_LC}" if has_audio else rung.codecs,
                resolution=rung.resolution,
                frame_rate=output_frame_rate(probe.video),
                audio_group=AUDIO_GROUP if has_audio else None,
            )
        )
    if has_audio:
        variants.append(
            Variant(
                name=AUDIO_NAME,
                uri=f"{AUDIO_NAME}/index.m3u8",
                bandwidth=audio_peak,
                average_bandwidth=audio_avg,
                codecs=AAC_LC,
                audio_only=True,
                group_id=AUDIO_GROUP,
                channels=2,
                default=True,
            )
        )
    return variants


def encode_video_step(ctx: StepContext) -> StepResult:
    """Encode the ladder and audio rendition in one process; publish segments as they come."""
    started = time.monotonic()
    probe = probe_of(ctx)
    if probe.video is None:
        raise MediaRejected("the file has no video to encode")
    rungs = build_ladder(probe.video, ctx.settings.ladder_heights)
    hls_dir = ctx.work_dir / "hls"
    # A retried step must not publish the segments of the attempt before it.
    shutil.rmtree(hls_dir, ignore_errors=True)
    cmd = encode_command(ctx, probe, rungs, hls_dir)
    names = [r.name for r in rungs] + ([AUDIO_NAME] if probe.audio is not None else [])
    publisher = ProgressivePublisher(
        ctx.outputs,
        hls_dir,
        names,
        lambda: build_master(video_variants(probe, rungs, None)),
        started=started,
    )
    with publisher:
        stats = run_ffmpeg(
            cmd,
            timeout=ctx.settings.ffmpeg_timeout_s,
            cwd=ctx.work_dir,
            cancel=ctx.cancel,
            on_progress=ctx.on_progress,
            duration=probe.duration,
        )
    ttfp = publisher.finish()
    variants = video_variants(probe, rungs, hls_dir)
    ctx.outputs.put_bytes(MASTER_KEY, build_master(variants).encode(), live=True)
    assets = [
        AssetOut(
            kind="hls_variant",
            key=f"hls/{v.uri}",
            bitrate=v.average_bandwidth,
            width=_size(v.resolution, 0),
            height=_size(v.resolution, 1),
        )
        for v in variants
    ]
    return StepResult(
        assets=assets,
        data={
            "variants": msgspec.to_builtins(variants),
            "rungs": msgspec.to_builtins(rungs),
            "master_key": MASTER_KEY,
        },
        media_seconds=probe.duration,
        cpu_seconds=round(stats.cpu_seconds, 3),
        time_to_first_playable=round(ttfp, 3) if ttfp is not None else None,
    )


def _size(resolution: str | None, part: int) -> int | None:
    return int(resolution.split("x")[part]) if resolution else None
