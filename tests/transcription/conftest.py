"""Fixtures for transcription and captions: real speech from espeak-ng, fake provider servers on
loopback, settings pointing at them, and a step context over local storage."""

from __future__ import annotations

import subprocess
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pipelines.context import ContentMetadata, StepContext, StepResult
from pipelines.storage import LocalStorage
from pipelines.transcription import retry
from settings import Settings
from tests.fakes.deepgram_server import FakeDeepgram
from tests.fakes.openai_server import FakeOpenAI

DEEPGRAM_KEY = "dg-secret-0123456789abcdef"
OPENAI_KEY = "sk-test-secret-0123456789abcdef"

SENTENCES = [
    "In the beginning was the Word, and the Word was with God.",
    "The light shines in the darkness, and the darkness has not overcome it.",
    "Blessed are the poor in spirit, for theirs is the kingdom of heaven.",
    "Blessed are those who mourn, for they will be comforted.",
    "Let your light shine before others, that they may see your good deeds.",
    "Ask and it will be given to you; seek and you will find.",
    "Love your neighbour as yourself.",
    "Do not worry about tomorrow, for tomorrow will worry about itself.",
]


def espeak(text: str, dest: Path) -> Path:
    subprocess.run(["espeak-ng", "-v", "en", "-s", "150", "-w", str(dest), text], check=True)
    return dest


def join_with_pauses(parts: list[Path], dest: Path, pause_s: float) -> Path:
    """One WAV of the parts with silence between them: where a speaker pauses for breath."""
    with wave.open(str(parts[0])) as first:
        params = first.getparams()
    silence = b"\x00" * int(params.framerate * pause_s) * params.sampwidth * params.nchannels
    with wave.open(str(dest), "wb") as out:
        out.setparams(params)
        for index, part in enumerate(parts):
            with wave.open(str(part)) as source:
                out.writeframes(source.readframes(source.getnframes()))
            if index < len(parts) - 1:
                out.writeframes(silence)
    return dest


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About ten seconds of real speech."""
    folder = tmp_path_factory.mktemp("speech")
    return espeak(" ".join(SENTENCES[:3]), folder / "speech.wav")


@pytest.fixture(scope="session")
def long_speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About forty seconds: eight sentences, a pause after each."""
    folder = tmp_path_factory.mktemp("long")
    parts = [espeak(s, folder / f"s{i}.wav") for i, s in enumerate(SENTENCES)]
    return join_with_pauses(parts, folder / "long.wav", pause_s=0.8)


@pytest.fixture
def fake_deepgram() -> Iterator[FakeDeepgram]:
    with FakeDeepgram(DEEPGRAM_KEY) as server:
        assert isinstance(server, FakeDeepgram)
        yield server


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(OPENAI_KEY, script=" ".join(SENTENCES[:3])) as server:
        assert isinstance(server, FakeOpenAI)
        yield server


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between tries, recorded (and skipped: the fakes answer at once)."""
    waited: list[float] = []
    monkeypatch.setattr(retry, "pause", waited.append)
    return waited


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        return Settings(data_dir=str(tmp_path / "var"), **overrides)

    return make


@pytest.fixture
def deepgram_settings(
    make_settings: Callable[..., Settings], fake_deepgram: FakeDeepgram
) -> Settings:
    return make_settings(
        transcription_provider="deepgram",
        deepgram_api_key=DEEPGRAM_KEY,
        deepgram_base_url=fake_deepgram.url,
    )


@pytest.fixture
def openai_settings(make_settings: Callable[..., Settings], fake_openai: FakeOpenAI) -> Settings:
    return make_settings(
        transcription_provider="openai",
        openai_api_key=OPENAI_KEY,
        openai_base_url=f"{fake_openai.url}/v1",
    )


@pytest.fixture
def make_context(tmp_path: Path) -> Callable[..., StepContext]:
    storage = LocalStorage(tmp_path / "storage")

    def make(
        settings: Settings,
        source: Path,
        *,
        previous: dict[str, StepResult] | None = None,
        source_url: str | None = None,
    ) -> StepContext:
        return StepContext(
            content_id="c1",
            generation=1,
            source=source,
            work_dir=tmp_path / "work",
            outputs=storage.scoped("media/c1/g1"),
            settings=settings,
            metadata=ContentMetadata(language="en"),
            previous=previous or {},
            source_url=source_url,
        )

    return make
