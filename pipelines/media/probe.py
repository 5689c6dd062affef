"""Probe an upload with ffprobe into a typed `Probe`, and refuse what we will not process."""

from __future__ import annotations

import json
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import msgspec

from pipelines.context import StepContext, StepResult
from pipelines.media.errors import FFmpegFailed, FFmpegKilled, MediaRejected
from pipelines.media.runner import FFMPEG, Cancel, run_ffmpeg, run_ffprobe
from settings import Settings

__all__ = [
    "AudioInfo",
    "Probe",
    "StreamInfo",
    "VideoInfo",
    "input_args",
    "probe_media",
    "probe_step",
]

# ffprobe's format_name -> the demuxer we then name with `-f`. Only these containers are read;
# playlist-like demuxers (hls, concat, image2, tee, ...) are never allowed to guess their way in.
# The names are the demuxers' own: a whitelist token such as "wmv", "ts", "vob" or "aif" matches
# nothing and refuses the file.
ALLOWED_FORMATS: dict[str, str] = {
    "mov,mp4,m4a,3gp,3g2,mj2": "mov",  # also 3GP voice memos and ALAC in .m4a
    "matroska,webm": "matroska",
    "mp3": "mp3",
    "wav": "wav",
    "flac": "flac",
    "ogg": "ogg",  # Vorbis and Opus
    "aac": "aac",
    "asf": "asf",  # Windows Media audio and video (WMA, WMV)
    "dv": "dv",  # MiniDV transfers
    "mpeg": "mpeg",  # MPEG-1/2 program streams: DVD VOB, .mpg
    "mpegts": "mpegts",  # camcorder AVCHD (.mts, .m2ts) and broadcast recorders
    "aiff": "aiff",
    "avi": "avi",
    "amr": "amr",  # phone voice memos with the #!AMR header
}
ACCEPTED_NAMES = (
    "audio: MP3, M4A/ALAC, WAV, AIFF, FLAC, OGG/Opus, WMA, AMR; "
    "video: MP4, MOV, MKV, WebM, WMV, AVI, MPEG, DVD VOB, DV, AVCHD/MPEG-TS, 3GP"
)
INTERLACED_ORDERS = {"tt", "bb", "tb", "bt"}
# Codecs whose streams are usually interlaced without saying so in the header (DV is always;
# DVD MPEG-2 mostly): their frames carry the flag, which the deinterlacer reads frame by frame.
INTERLACE_PRONE_CODECS = {"dvvideo", "mpeg2video"}
FORMAT_WHITELIST = ",".join(ALLOWED_FORMATS.values())
COVER_CODECS = {"mjpeg", "png", "bmp", "gif", "webp"}
HDR_TRANSFERS = {"smpte2084", "arib-std-b67"}


class StreamInfo(msgspec.Struct, kw_only=True):
    index: int
    type: str
    codec: str
    attached_pic: bool = False


class VideoInfo(msgspec.Struct, kw_only=True):
    index: int
    codec: str
    width: int  # as stored
    height: int
    display_width: int  # as shown: square pixels (anamorphic widened), after rotation
    display_height: int
    rotation: int  # degrees, 0/90/180/270
    frame_rate: float  # the average rate; what the output is made constant at
    variable_frame_rate: bool
    pix_fmt: str
    bit_depth: int
    hdr: bool
    bit_rate: int | None = None
    sample_aspect: str = "1:1"  # of a stored pixel; DV and DVD widescreen are not square
    field_order: str = "progressive"  # ffprobe's: progressive, tt, bb, tb, bt or unknown
    interlaced: bool = False  # worth deinterlacing (each frame's own flag decides)
    end: float | None = None  # seconds from the file's start, when the stream says
    frame_count: int | None = None


class AudioInfo(msgspec.Struct, kw_only=True):
    index: int
    codec: str
    sample_rate: int
    channels: int
    channel_layout: str = ""
    bit_rate: int | None = None
    language: str = ""  # the stream's tag as written (ISO 639-2 "eng", or "en"), if any
    title: str = ""
    default: bool = False  # the stream's default disposition
    end: float | None = None  # seconds from the file's start, when the stream says


class Probe(msgspec.Struct, kw_only=True):
    container: str  # ffprobe's format_name
    demuxer: str  # what every later run names with -f
    media_type: Literal["audio", "video"]
    duration: float
    size: int
    bit_rate: int | None = None
    video: VideoInfo | None = None
    audio: AudioInfo | None = None  # the default track: what plays first and what is downloaded
    audios: list[AudioInfo] = msgspec.field(default_factory=list)  # every track, default first
    start_time: float = 0.0  # of the file's clock (a broadcast recording may start hours in)
    cover_art_index: int | None = None
    streams: list[StreamInfo] = msgspec.field(default_factory=list)
    tags: dict[str, str] = msgspec.field(default_factory=dict)


def input_args(path: Path, demuxer: str) -> list[str]:
    """The input half of every ffmpeg/ffprobe command on an upload.

    Local file protocol only, the demuxer named (ffmpeg guesses from content otherwise: a playlist
    renamed .mp4 would be read as HLS and open other files), the mov demuxer's external references
    off, and a `file:` URL so a name with a colon is never read as a protocol.
    """
    args = ["-protocol_whitelist", "file", "-format_whitelist", FORMAT_WHITELIST]
    if demuxer == "mov":
        args += ["-enable_drefs", "0"]
    return [*args, "-f", demuxer, "-i", f"file:{path.resolve()}"]


def _rate(text: str | None) -> float:
    try:
        value = Fraction(text or "0/0")
    except (ValueError, ZeroDivisionError):
        return 0.0
    return float(value) if value > 0 else 0.0


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list", []):
        if "rotation" in side:
            return int(round(float(side["rotation"]))) % 360
    return (_int(stream.get("tags", {}).get("rotate")) or 0) % 360


def _bit_depth(stream: dict[str, Any]) -> int:
    raw = _int(stream.get("bits_per_raw_sample"))
    if raw:
        return raw
    pix = stream.get("pix_fmt", "")
    return next((d for d in (16, 12, 10) if f"p{d}" in pix), 8)


def _is_cover(stream: dict[str, Any]) -> bool:
    if stream.get("disposition", {}).get("attached_pic"):
        return True
    return stream.get("codec_name") in COVER_CODECS and (_int(stream.get("nb_frames")) or 0) <= 1


def _sample_aspect(stream: dict[str, Any]) -> Fraction:
    try:
        sar = Fraction(str(stream.get("sample_aspect_ratio") or "1:1").replace(":", "/"))
    except (ValueError, ZeroDivisionError):
        return Fraction(1)
    # 0:1 means unknown; anything wilder than 4:1 is a broken header, not a picture.
    return sar if Fraction(1, 4) <= sar <= 4 else Fraction(1)


def _end(stream: dict[str, Any], file_start: float) -> float | None:
    """Where the stream ends, in seconds from the file's start, if its header says."""
    try:
        duration = float(stream["duration"])
        start = float(stream.get("start_time") or file_start)
    except (KeyError, TypeError, ValueError):
        return None
    return round(max(0.0, start - file_start) + duration, 3)


def _interlaced(stream: dict[str, Any]) -> bool:
    order = str(stream.get("field_order") or "unknown")
    if order in INTERLACED_ORDERS:
        return True
    return order == "unknown" and stream.get("codec_name") in INTERLACE_PRONE_CODECS


def _video(stream: dict[str, Any], file_start: float = 0.0) -> VideoInfo:
    stored_width, height = int(stream.get("width") or 0), int(stream.get("height") or 0)
    sar = _sample_aspect(stream)
    # Square pixels: widen (never squeeze) by the sample aspect ratio, to an even width.
    width = max(2, int(stored_width * sar / 2) * 2) if sar != 1 else stored_width
    rotation = _rotation(stream)
    avg, real = _rate(stream.get("avg_frame_rate")), _rate(stream.get("r_frame_rate"))
    # r_frame_rate is the lowest rate that represents every timestamp; when it differs from the
    # average, frames are not evenly spaced (phones record variable frame rate).
    variable = bool(avg and real and abs(avg - real) / real > 0.01)
    swap = rotation in (90, 270)
    return VideoInfo(
        index=int(stream["index"]),
        codec=str(stream.get("codec_name", "")),
        width=stored_width,
        height=height,
        display_width=height if swap else width,
        display_height=width if swap else height,
        rotation=rotation,
        frame_rate=round(avg or real or 30.0, 3),
        variable_frame_rate=variable,
        pix_fmt=str(stream.get("pix_fmt", "")),
        bit_depth=_bit_depth(stream),
        hdr=stream.get("color_transfer") in HDR_TRANSFERS,
        bit_rate=_int(stream.get("bit_rate")),
        sample_aspect=f"{sar.numerator}:{sar.denominator}",
        field_order=str(stream.get("field_order") or "unknown"),
        interlaced=_interlaced(stream),
        end=_end(stream, file_start),
        frame_count=_int(stream.get("nb_frames")),
    )


def _audio(stream: dict[str, Any], file_start: float = 0.0) -> AudioInfo:
    tags = {str(k).lower(): str(v) for k, v in stream.get("tags", {}).items()}
    return AudioInfo(
        index=int(stream["index"]),
        codec=str(stream.get("codec_name", "")),
        sample_rate=_int(stream.get("sample_rate")) or 0,
        channels=_int(stream.get("channels")) or 0,
        channel_layout=str(stream.get("channel_layout", "")),
        bit_rate=_int(stream.get("bit_rate")),
        language=tags.get("language", "") if tags.get("language") != "und" else "",
        title=tags.get("title", ""),
        default=bool(stream.get("disposition", {}).get("default")),
        end=_end(stream, file_start),
    )


def _default_first(audios: list[AudioInfo]) -> list[AudioInfo]:
    """Tracks in their order, the one marked default first (the first track when none is)."""
    default = next((a for a in audios if a.default), audios[0] if audios else None)
    return [a for a in audios if a is default] + [a for a in audios if a is not default]


def parse_probe(raw: dict[str, Any], size: int) -> Probe:
    """ffprobe's JSON into a Probe, refusing what has nothing we can play."""
    fmt = raw.get("format", {})
    container = str(fmt.get("format_name", ""))
    if container not in ALLOWED_FORMATS:
        raise MediaRejected(f"the container {container or 'unknown'} is not one we accept")
    streams = raw.get("streams", [])
    decodable = [
        s for s in streams if s.get("codec_name") and s.get("codec_type") in ("audio", "video")
    ]
    videos = [s for s in decodable if s["codec_type"] == "video" and not _is_cover(s)]
    covers = [s for s in decodable if s["codec_type"] == "video" and _is_cover(s)]
    audios = [
        s for s in decodable if s["codec_type"] == "audio" and (_int(s.get("channels")) or 0) > 0
    ]
    videos = [
        s for s in videos if (_int(s.get("width")) or 0) > 0 and (_int(s.get("height")) or 0) > 0
    ]
    if not videos and not audios:
        raise MediaRejected("the file has no audio or video we can decode")
    duration = _duration(fmt, videos + audios)
    if duration <= 0:
        raise MediaRejected("the file has no duration (it is empty or damaged)")
    file_start = _float(fmt.get("start_time"))
    tracks = _default_first([_audio(s, file_start) for s in audios])
    return Probe(
        container=container,
        demuxer=ALLOWED_FORMATS[container],
        media_type="video" if videos else "audio",
        duration=round(duration, 3),
        size=size,
        bit_rate=_int(fmt.get("bit_rate")),
        video=_video(videos[0], file_start) if videos else None,
        audio=tracks[0] if tracks else None,
        audios=tracks,
        start_time=file_start,
        cover_art_index=int(covers[0]["index"]) if covers and not videos else None,
        streams=[
            StreamInfo(
                index=int(s.get("index", 0)),
                type=str(s.get("codec_type", "")),
                codec=str(s.get("codec_name", "")),
                attached_pic=_is_cover(s) if s.get("codec_type") == "video" else False,
            )
            for s in streams
        ],
        tags={str(k): str(v) for k, v in fmt.get("tags", {}).items()},
    )


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _duration(fmt: dict[str, Any], streams: list[dict[str, Any]]) -> float:
    try:
        return float(fmt.get("duration") or 0)
    except ValueError:
        pass
    return max((float(s.get("duration") or 0) for s in streams), default=0.0)


def check_limits(probe: Probe, settings: Settings) -> None:
    """Refuse what is over the configured limits, saying which and by how much."""
    if probe.duration > settings.media_max_duration_s:
        raise MediaRejected(
            f"the file is {probe.duration / 60:.0f} minutes long; "
            f"the limit is {settings.media_max_duration_s / 60:.0f} minutes"
        )
    if probe.size > settings.upload_max_bytes:
        raise MediaRejected(
            f"the file is {probe.size / 1e6:.0f} MB; "
            f"the limit is {settings.upload_max_bytes / 1e6:.0f} MB"
        )
    if probe.video is not None:
        # Compare orientation-free: a vertical 1080x1920 video is as big as a 1920x1080 one.
        long_side = max(probe.video.width, probe.video.height)
        short_side = min(probe.video.width, probe.video.height)
        long_max = max(settings.media_max_width, settings.media_max_height)
        short_max = min(settings.media_max_width, settings.media_max_height)
        if long_side > long_max or short_side > short_max:
            raise MediaRejected(
                f"the video is {probe.video.width}x{probe.video.height}; "
                f"the limit is {settings.media_max_width}x{settings.media_max_height}"
            )


def _check_decodes_to_the_end(
    path: Path, probe: Probe, settings: Settings, work_dir: Path, cancel: Cancel | None
) -> float:
    """Decode the last seconds: a truncated file probes fine from its header but ends early.

    Every audio and video stream is decoded, so a file whose audio outlasts its picture (or the
    reverse) is whole as long as its longest stream reaches the stated end.
    """
    start = max(0.0, probe.duration - 2.0)
    cmd = [FFMPEG, "-v", "error", "-ss", f"{start:.3f}", *input_args(path, probe.demuxer)]
    indexes = [probe.video.index] if probe.video is not None else []
    for index in [*indexes, *(a.index for a in probe.audios)]:
        cmd += ["-map", f"0:{index}"]
    cmd += ["-f", "null", "-"]
    try:
        stats = run_ffmpeg(cmd, timeout=settings.ffprobe_timeout_s, cwd=work_dir, cancel=cancel)
    except FFmpegKilled:
        raise  # killed by the machine (out of memory), not refused by the file: retried
    except FFmpegFailed as exc:
        raise MediaRejected("the file is damaged: its media cannot be decoded") from exc
    if stats.media_seconds <= 0 and probe.duration > 0.5:
        raise MediaRejected("the file is truncated: it ends before its stated duration")
    return stats.cpu_seconds


def probe_media(
    path: Path, settings: Settings, *, work_dir: Path | None = None, cancel: Cancel | None = None
) -> Probe:
    """Probe `path` (an untrusted upload) and return its Probe, or raise MediaRejected."""
    return _probe(path, settings, work_dir, cancel)[0]


def _probe(
    path: Path, settings: Settings, work_dir: Path | None, cancel: Cancel | None
) -> tuple[Probe, float]:
    """The Probe and the CPU seconds its ffprobe and decode check took."""
    size = path.stat().st_size if path.is_file() else 0
    if size == 0:
        raise MediaRejected("the file is empty")
    if size > settings.upload_max_bytes:
        raise MediaRejected(
            f"the file is {size / 1e6:.0f} MB; "
            f"the limit is {settings.upload_max_bytes / 1e6:.0f} MB"
        )
    with tempfile.TemporaryDirectory(prefix="probe-", dir=_work_root(settings, work_dir)) as tmp:
        folder = Path(tmp)
        args = ["-v", "error", "-protocol_whitelist", "file", "-format_whitelist", FORMAT_WHITELIST]
        args += ["-print_format", "json", "-show_format", "-show_streams", f"file:{path.resolve()}"]
        try:
            stats = run_ffprobe(args, timeout=settings.ffprobe_timeout_s, cwd=folder, cancel=cancel)
        except FFmpegKilled:
            raise  # killed by the machine (out of memory), not refused by the file: retried
        except FFmpegFailed as exc:
            raise MediaRejected(_unreadable_reason(exc.log_tail)) from exc
        probe = parse_probe(json.loads(stats.stdout or b"{}"), size)
        check_limits(probe, settings)
        cpu = _check_decodes_to_the_end(path, probe, settings, folder, cancel)
    return probe, stats.cpu_seconds + cpu


def _unreadable_reason(log: str) -> str:
    if "not on whitelist" in log or "Format not" in log:
        return f"the file is not in a container we accept ({ACCEPTED_NAMES})"
    if "moov atom not found" in log:
        return "the file is truncated: the MP4 index is missing"
    return "the file is not audio or video we can read"


def _work_root(settings: Settings, work_dir: Path | None) -> Path:
    root = work_dir or settings.work_path
    root.mkdir(parents=True, exist_ok=True)
    return root


def probe_step(ctx: StepContext) -> StepResult:
    """The plan's first step: probe the source; the result decides the rest of the plan.

    A video is also looked at for a still picture (a few seeks), once: every chunk of a long
    video's encode must agree on it, and each would otherwise look again.
    """
    # still.py builds on this module (Probe, input_args): imported here, not at the top.
    from pipelines.media.still import is_still_picture

    probe, cpu = _probe(ctx.source, ctx.settings, ctx.work_dir, ctx.cancel)
    data: dict[str, object] = {
        "probe": msgspec.to_builtins(probe),
        "media_type": probe.media_type,
        "duration": probe.duration,
    }
    if probe.video is not None:
        data["still"] = is_still_picture(ctx.source, probe, ctx.settings, ctx.work_dir, ctx.cancel)
    return StepResult(
        data=data,
        media_seconds=probe.duration,
        cpu_seconds=round(cpu, 3),
    )


def probe_of(ctx: StepContext) -> Probe:
    """The probe an earlier step stored, typed again; probes afresh when run alone."""
    previous = ctx.previous.get("probe")
    if previous is not None and "probe" in previous.data:
        return msgspec.convert(previous.data["probe"], Probe)
    return probe_media(ctx.source, ctx.settings, work_dir=ctx.work_dir, cancel=ctx.cancel)
