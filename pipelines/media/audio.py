"""The audio encode: loudness-normalised AAC HLS (128k stereo, 64k mono) and a tagged MP3.

Two processes share the work, because one ffmpeg runs its encoders one after another on one
core: the first encodes the 128k rung, the second the MP3 and the 64k rung (about equal
shares of CPU). Both rungs are written as
EVENT playlists and published while they grow (see progressive.py).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

from pipelines.context import AssetOut, StepContext, StepResult
from pipelines.media.errors import MediaRejected
from pipelines.media.hls import AAC_LC, Variant, build_master, measure_bandwidth
from pipelines.media.loudness import (
    Loudness,
    measure_loudness,
    normalise_filter,
    parse_loudnorm_json,
)
from pipelines.media.mp3 import cover_input_args, extract_cover, mp3_output_args
from pipelines.media.probe import Probe, input_args, probe_of
from pipelines.media.progressive import ProgressivePublisher
from pipelines.media.runner import FFMPEG, Cancel, RunStats, run_ffmpeg, run_parallel

__all__ = ["encode_audio_step", "hls_output_args", "AUDIO_RUNGS"]

SAMPLE_RATE = 44_100
# (folder, bitrate, channels): the two rungs the issue asks for.
AUDIO_RUNGS: tuple[tuple[str, int, int], ...] = (
    ("audio_128k", 128_000, 2),
    ("audio_64k", 64_000, 1),
)
MP3_KEY = "download/audio.mp3"
MASTER_KEY = "hls/master.m3u8"
PASS_ONE_SHARE = 0.15  # of the step's progress: the measurement is quick next to the encode


def hls_output_args(folder: Path, segment_s: float) -> list[str]:
    """fMP4 HLS into `folder`: an EVENT playlist while it runs, segments renamed in when whole.
    A segment ends at the first keyframe `segment_s` or more after the last cut was due."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        "-f", "hls",
        "-hls_time", f"{segment_s:g}",
        "-hls_playlist_type", "event",
        "-hls_segment_type", "fmp4",
        "-hls_fmp4_init_filename", "init.mp4",
        "-hls_flags", "independent_segments+temp_file",
        "-hls_segment_filename", str(folder / "seg_%05d.m4s"),
        "-y", str(folder / "index.m3u8"),
    ]  # fmt: skip


def _aac(bitrate: int, channels: int) -> list[str]:
    return ["-c:a", "aac", "-b:a", str(bitrate), "-ac", str(channels), "-ar", str(SAMPLE_RATE)]


def _commands(
    ctx: StepContext, probe: Probe, loudness: Loudness, cover: Path | None, hls_dir: Path
) -> tuple[list[str], list[str]]:
    """Two independent command lines that each decode and normalise, then encode their share.

    Decoding and loudnorm cost a tenth of the encoders; doing them twice lets the two processes
    run without waiting on each other (a FIFO between them left a quarter of the CPU idle).
    loudnorm is deterministic, so both see the same samples.
    """
    assert probe.audio is not None
    seg = ctx.settings.hls_segment_s
    (hi_name, hi_rate, hi_ch), (lo_name, lo_rate, lo_ch) = AUDIO_RUNGS
    # Everything is measured and normalised as stereo: a mono upload plays on two speakers,
    # and 5.1 is folded down by the standard matrix before its loudness is judged.
    normalised = (
        f"[0:{probe.audio.index}]aformat=channel_layouts=stereo,"
        f"{normalise_filter(loudness, SAMPLE_RATE)}"
    )
    first = [FFMPEG, "-v", "info", *input_args(ctx.source, probe.demuxer)]
    first += ["-filter_complex", f"{normalised}[hls]"]
    first += ["-map", "[hls]", *_aac(hi_rate, hi_ch), *hls_output_args(hls_dir / hi_name, seg)]
    second = [FFMPEG, "-v", "warning", *input_args(ctx.source, probe.demuxer)]
    if cover is not None:
        second += cover_input_args(cover)
    # Each branch says its own layout: left to negotiation, the 64k rung's mono was chosen for
    # the shared chain, so the MP3 was a stereo copy of a (L+R)/sqrt(2) downmix, 3 dB over the
    # peaks the limiter had just held.
    second += [
        "-filter_complex",
        f"{normalised},asplit=2[both][one];[both]aformat=channel_layouts=stereo[mp3];"
        "[one]pan=mono|c0=0.5*c0+0.5*c1[mono]",
    ]
    mp3 = ctx.work_dir / "audio.mp3"
    second += mp3_output_args("mp3", ctx.metadata, mp3, 1 if cover is not None else None)
    second += ["-map", "[mono]", *_aac(lo_rate, lo_ch), *hls_output_args(hls_dir / lo_name, seg)]
    return first, second


def audio_variants(hls_dir: Path | None) -> list[Variant]:
    """The master's entries; measured from segments when they exist, nominal before."""
    variants = []
    for name, bitrate, channels in AUDIO_RUNGS:
        peak, average = (bitrate, bitrate)
        if hls_dir is not None and (hls_dir / name / "index.m3u8").is_file():
            peak, average = measure_bandwidth(hls_dir / name)
        variants.append(
            Variant(
                name=name,
                uri=f"{name}/index.m3u8",
                bandwidth=peak,
                average_bandwidth=average,
                codecs=AAC_LC,
                audio_only=True,
                channels=channels,
            )
        )
    return variants


def _job(
    cmd: list[str], ctx: StepContext, duration: float, log: Path | None
) -> Callable[[Cancel], RunStats]:
    def progress(fraction: float) -> None:
        ctx.on_progress(PASS_ONE_SHARE + (1 - PASS_ONE_SHARE) * fraction)

    def run(cancel: Cancel) -> RunStats:
        return run_ffmpeg(
            cmd,
            timeout=ctx.settings.ffmpeg_timeout_s,
            cwd=ctx.work_dir,
            cancel=cancel,
            on_progress=progress if log is not None else None,
            duration=duration,
            stderr_path=log,
        )

    return run


def encode_audio_step(ctx: StepContext) -> StepResult:
    """Normalise and encode the source's audio; publish rungs as they grow, then the MP3."""
    started = time.monotonic()
    probe = probe_of(ctx)
    if probe.audio is None:
        raise MediaRejected("the file has no audio to encode")
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    loudness, measured = measure_loudness(
        ctx.source, probe, ctx.settings, work_dir=ctx.work_dir, cancel=ctx.cancel
    )
    ctx.on_progress(PASS_ONE_SHARE)
    cover = extract_cover(ctx.source, probe, ctx.settings, ctx.work_dir, ctx.cancel)
    hls_dir = ctx.work_dir / "hls"
    # A retried step must not publish the segments of the attempt before it.
    shutil.rmtree(hls_dir, ignore_errors=True)
    log = ctx.work_dir / "encode-audio.log"
    names = [name for name, _, _ in AUDIO_RUNGS]
    publisher = ProgressivePublisher(
        ctx.outputs, hls_dir, names, lambda: build_master(audio_variants(None)), started=started
    )
    first, second = _commands(ctx, probe, loudness, cover, hls_dir)
    with publisher:
        encoded = run_parallel(
            [_job(first, ctx, probe.duration, log), _job(second, ctx, probe.duration, None)],
            cancel=ctx.cancel,
        )
    ttfp = publisher.finish()
    figures = parse_loudnorm_json(log.read_text(errors="replace"))
    loudness.output_i = figures.get("output_i", loudness.output_i)
    loudness.output_tp = figures.get("output_tp", loudness.output_tp)
    mp3_bytes = ctx.outputs.put_file(MP3_KEY, ctx.work_dir / "audio.mp3")
    variants = audio_variants(hls_dir)
    master = build_master(variants)
    ctx.outputs.put_bytes(MASTER_KEY, master.encode(), live=True)
    ctx.on_progress(1.0)
    return StepResult(
        assets=_assets(variants, ctx, mp3_bytes),
        data={
            "loudness": msgspec.to_builtins(loudness),
            "variants": msgspec.to_builtins(variants),
            "master_key": MASTER_KEY,
            "mp3_key": MP3_KEY,
            "cover": cover is not None,
        },
        media_seconds=probe.duration,
        cpu_seconds=round(sum(s.cpu_seconds for s in [*measured, *encoded]), 3),
        time_to_first_playable=round(ttfp, 3) if ttfp is not None else None,
    )


def _assets(variants: list[Variant], ctx: StepContext, mp3_bytes: int) -> list[AssetOut]:
    assets = [
        AssetOut(
            kind="hls_variant",
            key=f"hls/{v.uri}",
            bitrate=v.average_bandwidth,
            bytes=_folder_bytes(ctx.work_dir / "hls" / v.name),
        )
        for v in variants
    ]
    bitrate = int(MP3_BITRATE_BPS)
    assets.append(
        AssetOut(
            kind="mp3",
            key=MP3_KEY,
            bytes=mp3_bytes,
            bitrate=bitrate,
        )
    )
    return assets


MP3_BITRATE_BPS = 128_000


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) if folder.is_dir() else 0
