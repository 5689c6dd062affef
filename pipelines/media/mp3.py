"""The MP3 download: its ID3v2 tags and cover image, written by ffmpeg's own mp3 muxer.

ffmpeg writes ID3v2.3 text frames from `-metadata` and an APIC frame from an attached picture
stream, so no tagging library is needed. The cover is re-encoded through Pillow first: an
upload's embedded art can be any size or format, and podcast apps want a square-ish JPEG.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps

from pipelines.context import ContentMetadata
from pipelines.media.probe import Probe, input_args
from pipelines.media.runner import FFMPEG, Cancel, run_ffmpeg
from settings import Settings

__all__ = ["extract_cover", "mp3_output_args", "MP3_BITRATE"]

# Constant bitrate: podcast apps seek a CBR MP3 by byte offset accurately.
MP3_BITRATE = "128k"
COVER_MAX_PX = 1400


def extract_cover(
    source: Path, probe: Probe, settings: Settings, work_dir: Path, cancel: Cancel | None = None
) -> Path | None:
    """The upload's embedded cover art as a bounded JPEG, or None when it has none."""
    if probe.cover_art_index is None:
        return None
    raw = work_dir / "cover-source.png"
    cmd = [FFMPEG, "-v", "error", *input_args(source, probe.demuxer)]
    cmd += ["-map", f"0:{probe.cover_art_index}", "-frames:v", "1", "-c:v", "png", "-y", str(raw)]
    run_ffmpeg(cmd, timeout=settings.ffprobe_timeout_s, cwd=work_dir, cancel=cancel)
    cover = work_dir / "cover.jpg"
    with Image.open(raw) as image:
        picture = ImageOps.exif_transpose(image).convert("RGB")
        picture.thumbnail((COVER_MAX_PX, COVER_MAX_PX), Image.Resampling.LANCZOS)
        picture.save(cover, "JPEG", quality=88)
    return cover


def cover_input_args(cover: Path) -> list[str]:
    """Our own JPEG as an input, still read with the local file protocol only."""
    return ["-protocol_whitelist", "file", "-f", "image2", "-i", f"file:{cover}"]


def mp3_output_args(
    label: str, metadata: ContentMetadata, target: Path, cover_input: int | None
) -> list[str]:
    """Output options for the MP3 from filter output `label`, tagged, with the cover if any."""
    args = ["-map", f"[{label}]"]
    if cover_input is not None:
        args += ["-map", f"{cover_input}:v:0", "-c:v", "copy", "-disposition:v:0", "attached_pic"]
        args += ["-metadata:s:v:0", "title=Cover", "-metadata:s:v:0", "comment=Cover (front)"]
    args += ["-c:a", "libmp3lame", "-b:a", MP3_BITRATE, "-id3v2_version", "3", "-write_id3v1", "1"]
    tags = {
        "title": metadata.title,
        "artist": metadata.speaker,
        "album_artist": metadata.speaker,
        "album": metadata.series,
        "date": metadata.recorded_date[:4],
        "comment": metadata.description[:500],
        "language": metadata.language,
    }
    for key, value in tags.items():
        if value:
            args += ["-metadata", f"{key}={value}"]
    return [*args, "-f", "mp3", "-y", str(target)]
