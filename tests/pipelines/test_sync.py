"""A/V sync and length, read back from the renditions: first timestamps, the moment a flash and
a beep play, and durations of files whose streams differ in length."""

from __future__ import annotations

import array
import subprocess
from pathlib import Path

import pytest

from pipelines.media.probe import probe_step
from pipelines.media.video import encode_video_step

from .conftest import ffprobe, make

FLASH_AND_BEEP = [
    "-f", "lavfi",
    "-i", "color=c=black:s=320x240:r=30:d=3,drawbox=enable='between(t,1,1.04)':c=white:t=fill",
    "-f", "lavfi",
    "-i", "aevalsrc='if(between(t\\,1\\,1.05)\\,0.5*sin(2*PI*1000*t)\\,0)':s=48000:d=3",
]  # fmt: skip


def first_timestamp(playlist: Path) -> float:
    info = ffprobe(playlist, "-protocol_whitelist", "file")
    return float(info["streams"][0]["start_time"])


def beep_at(playlist: Path, rate: int = 48000) -> float:
    """When the first loud sample plays, decoding the rendition from its first timestamp."""
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-protocol_whitelist", "file", "-i", str(playlist),
         "-map", "0:a:0", "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    samples = array.array("h", raw)
    loud = next(i for i, s in enumerate(samples) if abs(s) > 3000)
    return first_timestamp(playlist) + loud / rate


def flash_at(playlist: Path) -> float:
    """The presentation time of the first bright frame."""
    frames = subprocess.run(
        ["ffprobe", "-v", "error", "-protocol_whitelist", "file", "-f", "lavfi",
         f"movie={playlist}:f=hls,scale=8:8,format=gray,signalstats",
         "-show_entries", "frame=pts_time:frame_tags=lavfi.signalstats.YAVG", "-of", "csv=p=0"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for line in frames.split():
        pts, yavg = (float(x) for x in line.split(",")[:2])
        if yavg > 128:
            return pts
    raise AssertionError("no flash in the rendition")


@pytest.fixture(scope="session")
def flash_beep_mov(media: Path) -> Path:
    """Flash and beep both at 1.000 s: a source in sync."""
    return make(
        media / "sync.mov", *FLASH_AND_BEEP, "-c:v", "libx264", "-preset", "ultrafast",
        "-c:a", "pcm_s16le",
    )  # fmt: skip


@pytest.fixture(scope="session")
def late_audio_mov(media: Path, flash_beep_mov: Path) -> Path:
    """The same with its sound track starting 0.1 s into the file (a phone's own offset)."""
    return make(
        media / "late-audio.mov", "-i", str(flash_beep_mov), "-itsoffset", "0.1",
        "-i", str(flash_beep_mov), "-map", "0:v", "-map", "1:a", "-c", "copy",
    )  # fmt: skip


def encode(make_ctx, source: Path):
    ctx = make_ctx(source)
    ctx.previous["probe"] = probe_step(ctx)
    return encode_video_step(ctx)


@pytest.mark.parametrize(("source", "offset"), [("flash_beep_mov", 0.0), ("late_audio_mov", 0.1)])
def test_picture_and_sound_start_together_and_keep_the_source_offset(
    make_ctx, out_root, request, source, offset
):
    encode(make_ctx, request.getfixturevalue(source))
    video, audio = out_root / "hls/240p/index.m3u8", out_root / "hls/audio/index.m3u8"
    # No hole at the start: both renditions begin at the same instant.
    assert first_timestamp(video) == pytest.approx(0.0, abs=0.001)
    assert first_timestamp(audio) == pytest.approx(0.0, abs=0.001)
    assert flash_at(video) == pytest.approx(1.0, abs=0.001)
    # The AAC priming is paid for: the beep plays at its source time, offset included.
    assert beep_at(audio) == pytest.approx(1.0 + offset, abs=0.001)


@pytest.mark.parametrize(("video_s", "audio_s"), [(2, 4), (4, 2)])
def test_streams_of_different_lengths_are_valid_and_the_output_lasts_the_longest(
    make_ctx, media, out_root, video_s, audio_s
):
    source = make(
        media / f"v{video_s}a{audio_s}.mp4",
        "-f", "lavfi", "-i", f"testsrc2=s=320x240:r=25:d={video_s}",
        "-f", "lavfi", "-i", f"sine=f=440:d={audio_s}",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
    )  # fmt: skip
    encode(make_ctx, source)  # the probe does not call it truncated
    for rendition in ("240p", "audio"):
        info = ffprobe(out_root / "hls" / rendition / "index.m3u8", "-protocol_whitelist", "file")
        assert float(info["format"]["duration"]) == pytest.approx(4.0, abs=0.1), rendition
