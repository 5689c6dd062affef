"""Where is the sermon: speech told from music by the audio alone, and the suggestion drawn
from the transcript, the audio, or both."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pipelines.media.probe import probe_media
from pipelines.media.sermon_range import suggest_sermon
from pipelines.media.speech import speech_profile

from .conftest import make

SERMON = (
    "Good morning church. Open your Bibles to the twenty third psalm. The Lord is my shepherd, "
    "I shall not want. He makes me lie down in green pastures, he leads me beside still waters. "
    "He restores my soul. He guides me along the right paths for his name's sake."
)
HYMN = (
    "aevalsrc='0.2*sin(2*PI*261.6*t)+0.2*sin(2*PI*329.6*t)+0.2*sin(2*PI*392*t)"
    "+0.1*sin(2*PI*(440+110*floor(mod(t,2)))*t)':s=22050:d=10"
)


@pytest.fixture(scope="session")
def service_wav(media: Path) -> Path:
    """A hymn, a short sermon read by espeak-ng, and another hymn."""
    speech = media / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(speech), SERMON], check=True)
    return make(
        media / "service.wav", "-f", "lavfi", "-i", HYMN, "-i", str(speech), "-f", "lavfi",
        "-i", HYMN, "-filter_complex",
        "[0:a]aresample=22050[h1];[1:a]aresample=22050[s];[2:a]aresample=22050[h2];"
        "[h1][s][h2]concat=n=3:v=0:a=1", "-ac", "1",
    )  # fmt: skip


def test_the_audio_tells_the_sermon_from_the_hymns(service_wav, settings, tmp_path) -> None:
    probe = probe_media(service_wav, settings)
    profile = speech_profile(service_wav, probe, settings, tmp_path)
    assert len(profile) == int(probe.duration)
    speech_end = probe.duration - 10
    assert set(profile[:8]) == {"music"}
    assert set(profile[int(speech_end) + 2 :]) == {"music"}
    middle = profile[11 : int(speech_end) - 1]
    assert middle.count("speech") >= 0.8 * len(middle)
    found = suggest_sermon([], profile, probe.duration, min_length_s=8)
    assert found is not None and found.evidence == ("audio",)
    assert abs(found.start_s - 10) <= 2 and abs(found.end_s - speech_end) <= 2


def _talk(start: float, minutes: int) -> list[dict[str, object]]:
    return [
        {"start": start + i * 10, "end": start + i * 10 + 9.5, "text": " ".join(["word"] * 22)}
        for i in range(minutes * 6)
    ]


def test_lyrics_over_music_are_not_the_sermon() -> None:
    announcements = _talk(60, 3)
    lyrics = [
        {"start": 300.0 + i * 20, "end": 318.0 + i * 20, "text": "holy holy holy"}
        for i in range(60)
    ]
    sermon = _talk(1800, 35)
    found = suggest_sermon(announcements + lyrics + sermon, [], 4000.0)
    assert found is not None and (found.start_s, found.end_s) == (1800.0, 1800.0 + 2099.5)


def test_transcript_and_audio_agreeing_raise_the_confidence() -> None:
    sermon = _talk(1800, 30)
    profile = ["music"] * 1790 + ["speech"] * 1810 + ["music"] * 400
    found = suggest_sermon(sermon, profile, 4000.0)
    assert found is not None and found.evidence == ("transcript", "audio")
    assert found.confidence > 0.9
    assert found.start_s == 1800.0  # the transcript places the words to the second


def test_a_service_without_a_long_talk_has_no_suggestion() -> None:
    assert suggest_sermon(_talk(60, 5), ["speech"] * 300, 4000.0) is None
