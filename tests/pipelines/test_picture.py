"""Picture right: anamorphic sources at their display aspect, interlaced ones deinterlaced,
a still picture with sound encoded once, and high-rate sources given a ladder that suits."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pipelines.media.ladder import build_ladder
from pipelines.media.probe import VideoInfo, probe_step
from pipelines.media.video import encode_video_step

from .conftest import ffprobe, make

TONE = ["-f", "lavfi", "-i", "sine=f=440:sample_rate=48000:d=4"]


def encode(make_ctx, source: Path):
    ctx = make_ctx(source)
    ctx.previous["probe"] = probe_step(ctx)
    return ctx, encode_video_step(ctx)


def idet(path: Path) -> dict[str, int]:
    """ffmpeg's interlace detector over the decoded frames: counts of TFF, BFF and progressive."""
    log = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "info", "-protocol_whitelist", "file", "-i", str(path),
         "-map", "0:v:0", "-vf", "idet", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    line = next(x for x in log.splitlines() if "Multi frame detection" in x)
    words = line.split("detection:")[1].replace(":", " ").split()
    return {words[i]: int(words[i + 1]) for i in range(0, len(words) - 1, 2)}


@pytest.fixture(scope="session")
def widescreen_dv(media: Path) -> Path:
    """PAL MiniDV, 16:9: 720x576 stored, pixels 64:45 wide, fields bottom first."""
    return make(
        media / "wide.dv", "-f", "lavfi", "-i", "testsrc2=s=720x576:r=25:d=2",
        "-f", "lavfi", "-i", "sine=f=440:sample_rate=48000:d=2",
        "-c:v", "dvvideo", "-pix_fmt", "yuv420p", "-aspect", "16:9",
        "-c:a", "pcm_s16le", "-ac", "2",
    )  # fmt: skip


@pytest.fixture(scope="session")
def interlaced_mts(media: Path) -> Path:
    """AVCHD-like: 25i from 50p motion (each field a different instant), top field first, in an
    MPEG-TS whose clock starts ten hours in."""
    return make(
        media / "camcorder.mts", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=50:d=3", *TONE,
        "-vf", "interlace=scan=tff", "-c:v", "libx264", "-preset", "ultrafast",
        "-flags", "+ilme+ildct", "-x264opts", "tff=1", "-c:a", "ac3", "-shortest",
        "-output_ts_offset", "36000",
    )  # fmt: skip


@pytest.fixture(scope="session")
def slide_with_sermon_mp4(media: Path) -> Path:
    """A title slide held for the whole sermon, at 30 fps, as an editor exports it."""
    return make(
        media / "slide.mp4", "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=0.04",
        "-f", "lavfi", "-i", "sine=f=440:d=6",
        "-vf", "tpad=stop_mode=clone:stop_duration=6", "-c:v", "libx264", "-preset", "ultrafast",
        "-c:a", "aac", "-t", "6",
    )  # fmt: skip


def test_widescreen_dv_comes_out_at_its_display_aspect(make_ctx, widescreen_dv, out_root):
    ctx, result = encode(make_ctx, widescreen_dv)
    assert ctx.previous["probe"].data["probe"]["demuxer"] == "dv"
    stream = ffprobe(out_root / "hls/360p/index.m3u8", "-protocol_whitelist", "file")["streams"][0]
    assert stream["sample_aspect_ratio"] == "1:1"
    assert stream["width"] / stream["height"] == pytest.approx(16 / 9, abs=0.01)
    assert (stream["width"], stream["height"]) == (640, 360)


def test_interlaced_camcorder_video_is_deinterlaced(make_ctx, interlaced_mts, out_root):
    source = idet(interlaced_mts)
    assert source["TFF"] > source["Progressive"]  # the source really is interlaced
    ctx, _ = encode(make_ctx, interlaced_mts)
    probe = ctx.previous["probe"].data["probe"]
    assert probe["demuxer"] == "mpegts" and probe["start_time"] > 36000
    assert probe["video"]["field_order"] == "tt"
    output = idet(out_root / "hls/240p/index.m3u8")
    # The source reads 75 TFF, 0 progressive; a few edge frames still read as combed.
    assert output["Progressive"] > 5 * (output["TFF"] + output["BFF"])
    info = ffprobe(out_root / "hls/240p/index.m3u8", "-protocol_whitelist", "file")
    assert float(info["streams"][0]["start_time"]) == pytest.approx(0, abs=0.001)
    assert float(info["format"]["duration"]) == pytest.approx(3.0, abs=0.2)


def test_still_picture_with_sound_is_one_cheap_rung(make_ctx, slide_with_sermon_mp4, out_root):
    _, result = encode(make_ctx, slide_with_sermon_mp4)
    assert result.data["still"] is True
    rungs = [
        v for v in result.data["variants"] if v.get("resolution") and not v.get("iframes_only")
    ]
    assert [v["resolution"] for v in rungs] == ["640x360"]
    info = ffprobe(out_root / "hls/360p/index.m3u8", "-protocol_whitelist", "file", "-count_frames")
    assert info["streams"][0]["avg_frame_rate"] == "1/1"
    assert int(info["streams"][0]["nb_read_frames"]) == 6  # one a second, not 180
    assert float(info["format"]["duration"]) == pytest.approx(6.0, abs=0.2)
    audio = ffprobe(out_root / "hls/audio/index.m3u8", "-protocol_whitelist", "file")
    assert float(audio["format"]["duration"]) == pytest.approx(6.0, abs=0.2)


def video_info(width: int, height: int, fps: float) -> VideoInfo:
    return VideoInfo(
        index=0, codec="h264", width=width, height=height, display_width=width,
        display_height=height, rotation=0, frame_rate=fps, variable_frame_rate=False,
        pix_fmt="yuv420p", bit_depth=8, hdr=False,
    )  # fmt: skip


def test_a_4k_60fps_source_gets_high_rungs_and_half_rate_small_ones(settings):
    heights = [2160, 1440, 1080, 720, 480, 360]
    rungs = build_ladder(video_info(3840, 2160, 59.94), heights, 720)
    assert [r.name for r in rungs] == ["2160p", "1440p", "1080p", "720p", "480p", "360p"]
    assert [r.frame_rate for r in rungs] == [59.94] * 4 + [29.97] * 2
    assert rungs[0].level == 52 and 12_000_000 < rungs[0].bitrate < 25_000_000
    # Never upscaled: a 1080p30 source stops at 1080p, every rung at its own rate.
    small = build_ladder(video_info(1920, 1080, 30), heights, 720)
    assert [r.name for r in small] == ["1080p", "720p", "480p", "360p"]
    assert {r.frame_rate for r in small} == {30.0}
