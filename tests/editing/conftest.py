"""Sources with known marks for the editing tests: a white flash on one frame and a 1 kHz beep
from one sample, so a cut's first frame and first sample can be checked exactly."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from pipelines.context import ContentMetadata, StepContext
from pipelines.storage import LocalStorage
from settings import Settings, load_settings

FF = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
FPS = 25
RATE = 48000
FLASH_FRAME = 50  # 2.00 s
BEEP_S = 2.0


def make(path: Path, *args: str) -> Path:
    subprocess.run([*FF, *args, str(path)], check=True)
    return path


def ffprobe(path: Path | str, *extra: str) -> dict:  # type: ignore[type-arg]
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
         *extra, str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def frame_brightness(path: Path, size: str = "32x32") -> list[float]:
    """The mean luma of every decoded frame, in order."""
    w, h = (int(v) for v in size.split("x"))
    raw = subprocess.run(
        [*FF, "-i", str(path), "-map", "0:v:0", "-vf", f"scale={w}:{h}", "-f", "rawvideo",
         "-pix_fmt", "gray", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    frames = np.frombuffer(raw, np.uint8).reshape(-1, h * w)
    return [float(f.mean()) for f in frames]


def samples(path: Path) -> np.ndarray:  # type: ignore[type-arg]
    """The first channel's samples at 48 kHz as floats."""
    raw = subprocess.run(
        [*FF, "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.float32)


def onset(signal: np.ndarray, threshold: float = 0.05) -> int:  # type: ignore[type-arg]
    return int(np.argmax(np.abs(signal) > threshold))


def _marked_sources(seconds: float) -> list[str]:
    video = (
        f"color=c=0x404040:s=320x180:r={FPS}:d={seconds},"
        f"drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='eq(n,{FLASH_FRAME})'"
    )
    audio = f"aevalsrc='if(gte(t,{BEEP_S}),0.5*sin(2*PI*1000*t),0)':s={RATE}:d={seconds}"
    return ["-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio]


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("editing-media")


@pytest.fixture(scope="session")
def flash_mp4(media: Path) -> Path:
    """6 s, 25 fps, H.264 with B-frames (x264's defaults) and AAC: a cut must re-encode."""
    return make(
        media / "flash.mp4", *_marked_sources(6), "-c:v", "libx264", "-preset", "ultrafast",
        "-bf", "3", "-c:a", "aac", "-shortest",
    )  # fmt: skip


@pytest.fixture(scope="session")
def keyframed_mp4(media: Path) -> Path:
    """A keyframe every second and no B-frames: a cut starting on a second can copy."""
    return make(
        media / "keyframed.mp4", *_marked_sources(6), "-c:v", "libx264", "-preset", "ultrafast",
        "-bf", "0", "-g", str(FPS), "-keyint_min", str(FPS), "-sc_threshold", "0",
        "-c:a", "aac", "-shortest",
    )  # fmt: skip


@pytest.fixture(scope="session")
def beep_wav(media: Path) -> Path:
    audio = f"aevalsrc='if(gte(t,{BEEP_S}),0.5*sin(2*PI*1000*t),0)':s={RATE}:d=6"
    return make(media / "beep.wav", "-f", "lavfi", "-i", audio, "-ac", "2")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        None, data_dir=str(tmp_path / "var"), video_ladder="360,240,144", hls_segment_s=1
    )


@pytest.fixture
def out_root(tmp_path: Path) -> Path:
    return tmp_path / "out" / "media" / "c1" / "g1"


@pytest.fixture
def make_ctx(tmp_path: Path, settings: Settings) -> Callable[..., StepContext]:
    def build(source: Path, **metadata: object) -> StepContext:
        return StepContext(
            content_id="c1",
            generation=1,
            source=source,
            work_dir=tmp_path / "work" / source.stem,
            outputs=LocalStorage(tmp_path / "out").scoped("media/c1/g1"),
            settings=settings,
            metadata=ContentMetadata(**metadata),  # type: ignore[arg-type]
        )

    return build
