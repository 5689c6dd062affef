"""Small real media for the pipeline tests, generated once per session with ffmpeg."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from pipelines.context import ContentMetadata, StepContext
from pipelines.storage import LocalStorage
from settings import Settings, load_settings

FF = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
TONE = ["-f", "lavfi", "-i", "sine=f=440:sample_rate=44100:d=3"]


def make(path: Path, *args: str) -> Path:
    subprocess.run([*FF, *args, str(path)], check=True)
    return path


def ffprobe(path: Path | str, *extra: str) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
         *extra, str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def integrated_loudness(path: Path | str) -> float:
    """Integrated loudness as ffmpeg's ebur128 meter reads it back."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "info", "-i", str(path), "-af", "ebur128", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = out.stderr.rsplit("Summary:", 1)[1]
    return float(summary.split("I:", 1)[1].split("LUFS", 1)[0])


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def tone_mp3_with_cover(media: Path) -> Path:
    cover = make(
        media / "cover.png", "-f", "lavfi", "-i", "testsrc=s=200x200:d=1", "-frames:v", "1"
    )
    return make(
        media / "sermon.mp3", *TONE, "-i", str(cover), "-map", "0", "-map", "1",
        "-af", "volume=-20dB", "-c:a", "libmp3lame", "-c:v", "mjpeg",
        "-disposition:v", "attached_pic", "-id3v2_version", "3",
    )  # fmt: skip


@pytest.fixture(scope="session")
def mono_8k_wav(media: Path) -> Path:
    return make(
        media / "phone.wav", "-f", "lavfi", "-i", "sine=f=300:sample_rate=8000:d=3", "-ac", "1"
    )


@pytest.fixture(scope="session")
def silence_m4a(media: Path) -> Path:
    return make(
        media / "silence.m4a",
        "-f",
        "lavfi",
        "-i",
        "anullsrc=r=44100:cl=stereo",
        "-t",
        "3",
        "-c:a",
        "aac",
    )


@pytest.fixture(scope="session")
def surround_mkv(media: Path) -> Path:
    return make(
        media / "surround.mkv", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=3",
        "-f", "lavfi", "-i", "sine=f=220:d=3",
        "-filter_complex", "[1]aformat=channel_layouts=5.1[a]",
        "-map", "0", "-map", "[a]", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
    )  # fmt: skip


@pytest.fixture(scope="session")
def rotated_phone_mp4(media: Path) -> Path:
    """A landscape-coded 320x180 stream with a 90 degree display matrix, as phones record."""
    raw = make(
        media / "phone-raw.mp4", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=3", *TONE,
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest",
    )  # fmt: skip
    return make(media / "phone.mp4", "-i", str(raw), "-c", "copy", "-metadata:s:v:0", "rotate=90")


@pytest.fixture(scope="session")
def vertical_mp4(media: Path) -> Path:
    return make(
        media / "vertical.mp4", "-f", "lavfi", "-i", "testsrc2=s=360x640:r=30:d=3", *TONE,
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest",
    )  # fmt: skip


@pytest.fixture(scope="session")
def hevc_10bit_mp4(media: Path) -> Path:
    return make(
        media / "hevc10.mp4", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=24:d=2",
        "-pix_fmt", "yuv420p10le", "-c:v", "libx265", "-preset", "ultrafast",
        "-x265-params", "log-level=error", "-tag:v", "hvc1",
    )  # fmt: skip


@pytest.fixture(scope="session")
def hdr_pq_mp4(media: Path) -> Path:
    """10-bit HEVC tagged BT.2020 primaries and the PQ (SMPTE 2084) transfer, as HDR10 is."""
    return make(
        media / "hdr.mp4", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=24:d=2",
        "-pix_fmt", "yuv420p10le", "-color_primaries", "bt2020", "-color_trc", "smpte2084",
        "-colorspace", "bt2020nc", "-c:v", "libx265", "-preset", "ultrafast",
        "-x265-params", "log-level=error", "-tag:v", "hvc1",
    )  # fmt: skip


def decodes_to_the_end(playlist: Path) -> float:
    """Decode a whole HLS playlist, stopping on the first error; the media seconds decoded."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-xerror", "-protocol_whitelist", "file",
         "-i", str(playlist), "-progress", "pipe:1", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    times = [
        line.split("=", 1)[1] for line in out.stdout.splitlines() if line.startswith("out_time_us=")
    ]
    return int(times[-1]) / 1e6


@pytest.fixture(scope="session")
def vfr_mp4(media: Path) -> Path:
    """30 fps for 1.5 s, then 15 fps: frames at uneven intervals, as phones record."""
    return make(
        media / "vfr.mp4", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=3", *TONE,
        "-vf", "setpts='(N+if(gte(N,45),N-45,0))/30/TB'", "-fps_mode", "vfr",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest",
    )  # fmt: skip


@pytest.fixture(scope="session")
def odd_size_no_audio_mp4(media: Path) -> Path:
    return make(
        media / "odd.mp4", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2",
        "-vf", "scale=321:241", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p",
    )  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        None, data_dir=str(tmp_path / "var"), video_ladder="360,240,144", hls_segment_s=1
    )


@pytest.fixture
def make_ctx(tmp_path: Path, settings: Settings) -> Callable[..., StepContext]:
    def build(source: Path, **metadata: str) -> StepContext:
        return StepContext(
            content_id="c1",
            generation=1,
            source=source,
            work_dir=tmp_path / "work" / source.stem,
            outputs=LocalStorage(tmp_path / "out").scoped("media/c1/g1"),
            settings=settings,
            metadata=ContentMetadata(**metadata),
        )

    return build


@pytest.fixture
def out_root(tmp_path: Path) -> Path:
    return tmp_path / "out" / "media" / "c1" / "g1"
