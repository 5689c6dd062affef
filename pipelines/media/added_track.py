"""An audio track added to a video after it was published: an interpreter's recording of the
service in another language, aligned by its start, becomes one more member of the master's
audio group.

The step's source is the added recording; the video's own encode (in `ctx.previous`) gives the
length to match and the variants to extend; the track's language is the metadata's. The
recording is normalised like every track, starts at the video's 0 and is padded or cut to the
video's length. A second recording in the same language replaces the first.
"""

from __future__ import annotations

import shutil

import msgspec

from pipelines.context import AssetOut, StepContext, StepResult
from pipelines.errors import PipelineError
from pipelines.media.audio import hls_output_args
from pipelines.media.errors import MediaRejected
from pipelines.media.hls import AAC_LC, AUDIO_GROUP, Variant, build_master, measure_bandwidth
from pipelines.media.loudness import measure_loudness, normalise_filter
from pipelines.media.probe import input_args, probe_media
from pipelines.media.runner import FFMPEG, run_ffmpeg
from pipelines.media.timing import audio_timing_filter
from pipelines.media.tracks import NAMES, language_tag
from pipelines.media.video import AUDIO_BITRATE, AUDIO_RATE, MASTER_KEY

__all__ = ["add_audio_track_step", "with_track"]


def with_track(variants: list[Variant], track: Variant) -> list[Variant]:
    """The variants with `track` in the audio group, replacing one of the same language, and
    each video variant's BANDWIDTH covering it if it is the group's largest."""
    before = [v for v in variants if v.group_id]
    audio = [v for v in before if v.language != track.language] + [track]
    old_peak = max((a.bandwidth for a in before), default=0)
    new_peak = max(a.bandwidth for a in audio)
    out = []
    for variant in variants:
        if variant.group_id:
            continue
        if variant.audio_group:
            bandwidth = variant.bandwidth - old_peak + new_peak
            variant = msgspec.structs.replace(variant, bandwidth=bandwidth)
        out.append(variant)
    return out + audio


def add_audio_track_step(ctx: StepContext) -> StepResult:
    """Encode the added recording as an audio rendition and rewrite the master with it."""
    encode = ctx.previous.get("encode_video")
    if encode is None or not encode.data.get("variants"):
        raise PipelineError("adding an audio track needs the video's encode")
    variants = [msgspec.convert(v, Variant) for v in encode.data["variants"]]
    duration = float(ctx.previous["probe"].data["duration"])
    probe = probe_media(ctx.source, ctx.settings, work_dir=ctx.work_dir, cancel=ctx.cancel)
    if probe.audio is None:
        raise MediaRejected("the added recording has no audio")
    language = language_tag(ctx.metadata.language)
    folder = f"audio_{language}"
    loudness, measured = measure_loudness(
        ctx.source, probe, ctx.settings, work_dir=ctx.work_dir, cancel=ctx.cancel
    )
    hls_dir = ctx.work_dir / "hls" / folder
    shutil.rmtree(hls_dir, ignore_errors=True)
    chain = (
        f"[0:{probe.audio.index}]aformat=channel_layouts=stereo,"
        f"{normalise_filter(loudness, AUDIO_RATE)},"
        f"{audio_timing_filter(duration, AUDIO_RATE)}[a]"
    )
    cmd = [FFMPEG, "-v", "warning", *input_args(ctx.source, probe.demuxer)]
    cmd += ["-filter_complex", chain, "-map", "[a]", "-c:a", "aac", "-b:a", str(AUDIO_BITRATE)]
    cmd += hls_output_args(hls_dir, ctx.settings.hls_segment_s)
    stats = run_ffmpeg(cmd, timeout=ctx.settings.ffmpeg_timeout_s, cwd=ctx.work_dir)
    text = (hls_dir / "index.m3u8").read_text()
    for item in sorted(hls_dir.iterdir()):
        if item.name != "index.m3u8":
            ctx.outputs.put_file(f"hls/{folder}/{item.name}", item)
    ctx.outputs.put_bytes(f"hls/{folder}/index.m3u8", text.encode())
    peak, average = measure_bandwidth(hls_dir)
    track = Variant(
        name=NAMES.get(language, language),
        uri=f"{folder}/index.m3u8",
        bandwidth=peak,
        average_bandwidth=average,
        codecs=AAC_LC,
        group_id=AUDIO_GROUP,
        channels=2,
        language=language,
    )
    extended = with_track(variants, track)
    ctx.outputs.put_bytes(MASTER_KEY, build_master(extended).encode())
    return StepResult(
        assets=[
            AssetOut(
                kind="audio_rendition", key=f"hls/{track.uri}", bitrate=average, language=language
            )
        ],
        data={"variants": msgspec.to_builtins(extended), "master_key": MASTER_KEY},
        media_seconds=duration,
        cpu_seconds=round(stats.cpu_seconds + sum(s.cpu_seconds for s in measured), 3),
    )
