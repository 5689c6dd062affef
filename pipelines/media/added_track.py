"""An audio track added to a video after it was published: an interpreter's recording of the
service in another language, aligned by its start, becomes one more member of the master's
audio group.

The step's source is the added recording; the video's own encode (in `ctx.previous`) gives the
length to match and the variants to extend; the track's language is the metadata's. The
recording is normalised like every track, starts at the video's 0 and is padded or cut to the
video's length. A second recording in the same language replaces the first. The master it
writes keeps the generation's captions and the tracks added before this one (their results are
in `ctx.previous` under `result_name("add_audio_track", language)`).
"""

from __future__ import annotations

import shutil
from typing import Any

import msgspec

from pipelines.context import AssetOut, StepContext, StepResult
from pipelines.errors import PipelineError
from pipelines.media.audio import hls_output_args
from pipelines.media.errors import MediaRejected
from pipelines.media.hls import (
    AAC_LC,
    AUDIO_GROUP,
    Subtitle,
    Variant,
    build_master,
    measure_bandwidth,
)
from pipelines.media.loudness import measure_loudness, normalise_filter
from pipelines.media.probe import input_args, probe_media
from pipelines.media.runner import FFMPEG, run_ffmpeg
from pipelines.media.timing import audio_timing_filter
from pipelines.media.tracks import NAMES, language_tag
from pipelines.media.video import AUDIO_BITRATE, AUDIO_RATE, MASTER_KEY

__all__ = [
    "STEP",
    "add_audio_track_step",
    "added_tracks_in",
    "master_with_tracks",
    "track_folder",
    "track_name",
    "with_track",
]

STEP = "add_audio_track"


def track_folder(language: str) -> str:
    """The folder of an added track's rendition, beside the master."""
    return f"audio_{language}"


def track_name(language: str) -> str:
    """What a player's language menu shows for an added track: the language's own name, with
    its region or script when the tag has one ("pt-br" -> "Português (BR)"), since NAME must
    differ within the audio group (RFC 8216 4.3.4.1.1) and "pt" and "pt-br" may both be added."""
    primary, _, rest = language.partition("-")
    name = NAMES.get(primary, primary)
    return f"{name} ({rest.upper()})" if rest else name


def added_tracks_in(previous: dict[str, StepResult]) -> list[Variant]:
    """The renditions of tracks added to the generation before, from their steps' results."""
    prefix = f"{STEP}:"  # result_name(STEP, language) for each language
    return [
        msgspec.convert(result.data["track"], Variant)
        for name, result in sorted(previous.items())
        if name.startswith(prefix) and result.data.get("track")
    ]


def master_with_tracks(
    variants: list[Variant],
    tracks: list[Variant],
    subtitles: list[Subtitle | dict[str, Any]] | None = None,
) -> tuple[list[Variant], str]:
    """The encode's `variants` with each added track in the audio group, and the master text
    for them with the generation's `subtitles`."""
    for track in tracks:
        variants = with_track(variants, track)
    return variants, build_master(variants, subtitles)


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
    if language == "und":
        raise PipelineError(f"an added track needs a language; {ctx.metadata.language!r} is none")
    folder = track_folder(language)
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
        name=track_name(language),
        uri=f"{folder}/index.m3u8",
        bandwidth=peak,
        average_bandwidth=average,
        codecs=AAC_LC,
        group_id=AUDIO_GROUP,
        channels=2,
        language=language,
    )
    captions = ctx.previous.get("captions")
    subtitles = captions.data.get("subtitles") if captions is not None else None
    kept = [t for t in added_tracks_in(ctx.previous) if t.language != language]
    extended, master = master_with_tracks(variants, [*kept, track], subtitles)
    # The master last, once every segment and the rendition's playlist are in storage.
    ctx.outputs.put_bytes(MASTER_KEY, master.encode())
    return StepResult(
        assets=[
            AssetOut(
                kind="audio_rendition", key=f"hls/{track.uri}", bitrate=average, language=language
            )
        ],
        data={
            "variants": msgspec.to_builtins(extended),
            "track": msgspec.to_builtins(track),
            "master_key": MASTER_KEY,
            # The master is rewritten under its stable URL: the CDN must forget its copy.
            "invalidate": [MASTER_KEY],
        },
        media_seconds=duration,
        cpu_seconds=round(stats.cpu_seconds + sum(s.cpu_seconds for s in measured), 3),
    )
