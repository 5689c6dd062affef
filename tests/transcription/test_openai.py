"""OpenAI (and OpenAI-compatible Whisper servers) through the openai client, against a fake that
speaks the audio API: multipart upload, verbose_json, errors as OpenAI writes them."""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import webvtt

from pipelines.context import StepContext, StepResult
from pipelines.transcription.captions import captions_step
from pipelines.transcription.chunking import audio_duration, detect_silences, plan_chunks
from pipelines.transcription.errors import ProviderRejected, ProviderUnavailable
from pipelines.transcription.openai import OpenAITranscriber
from pipelines.transcription.step import transcribe_step
from settings import Settings
from tests.fakes import Recorded
from tests.fakes.openai_server import FakeOpenAI, audio_seconds
from tests.transcription.conftest import OPENAI_KEY, SENTENCES


def probe_upload(data: bytes, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "upload.mp3"
    path.write_bytes(data)
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    stream: dict[str, str] = json.loads(done.stdout)["streams"][0]
    return stream


def wav_seconds(path: Path) -> float:
    seconds = audio_seconds(path.read_bytes())
    assert seconds is not None
    return seconds


def test_speech_goes_up_as_a_compact_mono_track_in_a_multipart_form(
    openai_settings: Settings, fake_openai: FakeOpenAI, speech_wav: Path, tmp_path: Path
) -> None:
    transcript = OpenAITranscriber(openai_settings).transcribe(
        speech_wav, language="en", work_dir=tmp_path
    )

    [request] = fake_openai.requests
    assert request.path == "/v1/audio/transcriptions"
    assert request.headers["Authorization"] == f"Bearer {OPENAI_KEY}"
    assert request.form["model"] == ["whisper-1"]
    assert request.form["language"] == ["en"]
    assert request.form["response_format"] == ["verbose_json"]
    assert request.form["timestamp_granularities[]"] == ["word", "segment"]
    filename, content_type, data = request.files["file"]
    assert filename.endswith(".mp3") and content_type == "audio/mpeg"
    stream = probe_upload(data, tmp_path)
    assert stream == {"codec_name": "mp3", "sample_rate": "16000", "channels": 1}
    uploaded = audio_seconds(data)
    assert uploaded is not None and abs(uploaded - wav_seconds(speech_wav)) < 0.2
    assert len(data) < speech_wav.stat().st_size / 4
    assert [w.word for w in transcript.words] == " ".join(SENTENCES[:3]).split()
    assert [s.text for s in transcript.segments] == SENTENCES[:3]
    assert transcript.text == " ".join(SENTENCES[:3])


def test_gpt_4o_transcribe_asks_for_text_and_keeps_it_as_one_segment(
    make_settings: Callable[..., Settings],
    fake_openai: FakeOpenAI,
    speech_wav: Path,
    tmp_path: Path,
) -> None:
    settings = make_settings(
        transcription_provider="openai",
        openai_api_key=OPENAI_KEY,
        openai_base_url=f"{fake_openai.url}/v1",
        openai_transcribe_model="gpt-4o-transcribe",
    )
    transcript = OpenAITranscriber(settings).transcribe(
        speech_wav, language="en", work_dir=tmp_path
    )

    [request] = fake_openai.requests
    assert request.form["response_format"] == ["json"]
    assert "timestamp_granularities[]" not in request.form
    assert transcript.words == []
    assert [s.text for s in transcript.segments] == [" ".join(SENTENCES[:3])]


def chunk_words(recorded: Recorded, duration: float) -> list[str]:
    """A word every half second of whatever was uploaded, so the merge can be checked."""
    return [f"w{i}" for i in range(max(int(duration / 0.5), 1))]


def test_a_long_recording_is_cut_at_pauses_and_merged_without_gap_or_overlap(
    make_settings: Callable[..., Settings], long_speech_wav: Path, tmp_path: Path
) -> None:
    total = wav_seconds(long_speech_wav)
    # 32 kb/s is 4 kB a second: 60 kB makes chunks of about 13 s out of ~45 s of speech.
    max_bytes = 60_000
    with FakeOpenAI(OPENAI_KEY, responder=chunk_words) as server:
        settings = make_settings(
            transcription_provider="openai",
            openai_api_key=OPENAI_KEY,
            openai_base_url=f"{server.url}/v1",
            openai_chunk_max_bytes=max_bytes,
        )
        transcript = OpenAITranscriber(settings).transcribe(
            long_speech_wav, language="en", work_dir=tmp_path
        )
        uploads = [r.files["file"][2] for r in server.requests]

    assert len(uploads) >= 3
    assert all(len(data) <= max_bytes for data in uploads)
    # The uploads tile the recording: their lengths add up to it, nothing read twice or skipped.
    lengths = [audio_seconds(data) or 0.0 for data in uploads]
    assert abs(sum(lengths) - total) < 0.15 * len(uploads)
    # Every word each chunk heard is kept once, in time order, none overlapping the next.
    heard = sum(len(chunk_words(Recorded("", "", {}, {}), s)) for s in lengths)
    assert len(transcript.words) == heard
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts)
    for before, after in zip(transcript.words, transcript.words[1:], strict=False):
        assert before.end <= after.start + 1e-6
    assert transcript.words[-1].end <= total + 0.2
    # Every cut fell inside a pause, so no word was cut in two (and none needed padding).
    track = tmp_path / "transcribe" / "speech.mp3"
    silences = detect_silences(track, timeout=60)
    chunks = plan_chunks(audio_duration(track), track.stat().st_size, max_bytes, silences)
    assert len(chunks) == len(uploads)
    for chunk in chunks[1:]:
        assert any(a < chunk.start < b for a, b in silences)
        assert chunk.read_start == chunk.start


def test_429_waits_for_retry_after_then_succeeds(
    openai_settings: Settings,
    fake_openai: FakeOpenAI,
    speech_wav: Path,
    tmp_path: Path,
    pauses: list[float],
) -> None:
    fake_openai.fail_next(
        429,
        {
            "error": {
                "message": "Rate limit reached",
                "type": "requests",
                "code": "rate_limit_exceeded",
            }
        },
        {"Retry-After": "2"},
    )

    transcript = OpenAITranscriber(openai_settings).transcribe(
        speech_wav, language="en", work_dir=tmp_path
    )

    assert pauses == [2.0]
    assert len(fake_openai.requests) == 2
    assert transcript.words


def test_500_then_success(
    openai_settings: Settings,
    fake_openai: FakeOpenAI,
    speech_wav: Path,
    tmp_path: Path,
    pauses: list[float],
) -> None:
    fake_openai.fail_next(500)

    transcript = OpenAITranscriber(openai_settings).transcribe(
        speech_wav, language="en", work_dir=tmp_path
    )

    assert len(fake_openai.requests) == 2 and len(pauses) == 1
    assert transcript.text == " ".join(SENTENCES[:3])


def test_rate_limited_to_the_end_hands_retry_after_to_the_queue(
    openai_settings: Settings,
    fake_openai: FakeOpenAI,
    speech_wav: Path,
    tmp_path: Path,
    pauses: list[float],
) -> None:
    fake_openai.fail_next(429, None, {"Retry-After": "7"}, times=3)

    with pytest.raises(ProviderUnavailable) as raised:
        OpenAITranscriber(openai_settings).transcribe(speech_wav, language="en", work_dir=tmp_path)

    assert raised.value.retry_after == 7.0
    assert pauses == [7.0, 7.0]


def test_401_fails_at_once_and_no_key_reaches_errors_or_logs(
    make_settings: Callable[..., Settings],
    fake_openai: FakeOpenAI,
    speech_wav: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong_key = "sk-wrong-0123456789abcdefkey"
    settings = make_settings(
        transcription_provider="openai",
        openai_api_key=wrong_key,
        openai_base_url=f"{fake_openai.url}/v1",
    )
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ProviderRejected) as raised:
        OpenAITranscriber(settings).transcribe(speech_wav, language="en", work_dir=tmp_path)

    message = str(raised.value)
    assert len(fake_openai.requests) == 1
    assert "401" in message and "invalid_api_key" in message and "OPENAI_API_KEY" in message
    # OpenAI echoes a masked key ("sk-wr***key"): even that is scrubbed.
    assert "sk-" not in message
    assert wrong_key not in caplog.text
    assert raised.value.__suppress_context__


def test_spoken_sermon_to_transcript_and_captions_through_the_steps(
    openai_settings: Settings,
    fake_openai: FakeOpenAI,
    speech_wav: Path,
    make_context: Callable[..., StepContext],
) -> None:
    probe = StepResult(data={"probe": {"demuxer": "wav", "audio": {"index": 0}}})
    transcribed = transcribe_step(
        make_context(openai_settings, speech_wav, previous={"probe": probe})
    )
    ctx = make_context(openai_settings, speech_wav, previous={"transcribe": transcribed})
    captioned = captions_step(ctx)

    assert transcribed.data["provider"] == "openai"
    assert OPENAI_KEY not in json.dumps(transcribed.data)
    text = ctx.outputs.get_bytes("transcript/transcript.txt").decode()
    assert text.splitlines()[0] == SENTENCES[0]
    cues = webvtt.from_string(ctx.outputs.get_bytes("captions/en.vtt").decode()).captions
    assert " ".join(c.text.replace("\n", " ") for c in cues) == " ".join(SENTENCES[:3])
    assert {a.kind for a in captioned.assets} == {"captions"}


def test_a_video_without_sound_is_transcribed_as_nothing(
    openai_settings: Settings,
    fake_openai: FakeOpenAI,
    speech_wav: Path,
    make_context: Callable[..., StepContext],
) -> None:
    probe = StepResult(data={"probe": {"demuxer": "mov", "audio": None}})

    result = transcribe_step(make_context(openai_settings, speech_wav, previous={"probe": probe}))

    assert fake_openai.requests == []
    assert result.assets == [] and result.data["text"] == ""


def test_a_whisper_server_with_segments_only_still_gives_captions(
    make_settings: Callable[..., Settings],
    speech_wav: Path,
    make_context: Callable[..., StepContext],
) -> None:
    with FakeOpenAI(OPENAI_KEY, " ".join(SENTENCES[:3]), word_timestamps=False) as server:
        settings = make_settings(
            transcription_provider="openai",
            openai_base_url=f"{server.url}/v1",
            openai_api_key=OPENAI_KEY,
            openai_transcribe_model="Systran/faster-whisper-small",
        )
        transcribed = transcribe_step(make_context(settings, speech_wav))
    ctx = make_context(settings, speech_wav, previous={"transcribe": transcribed})
    captions_step(ctx)

    words = transcribed.data["words"]
    assert [w["word"] for w in words] == " ".join(SENTENCES[:3]).split()
    for segment in transcribed.data["segments"]:
        inside = [w for w in words if segment["start"] <= w["start"] < segment["end"]]
        assert " ".join(w["word"] for w in inside) == segment["text"]
    cues = webvtt.from_string(ctx.outputs.get_bytes("captions/en.vtt").decode()).captions
    assert cues and cues[-1].text.endswith("kingdom of heaven.")


def test_an_exhausted_quota_is_not_retried(
    openai_settings: Settings,
    fake_openai: FakeOpenAI,
    speech_wav: Path,
    tmp_path: Path,
    pauses: list[float],
) -> None:
    fake_openai.fail_next(
        429,
        {
            "error": {
                "message": "You exceeded your current quota, please check your plan.",
                "type": "insufficient_quota",
                "param": None,
                "code": "insufficient_quota",
            }
        },
    )

    with pytest.raises(ProviderRejected, match="insufficient_quota"):
        OpenAITranscriber(openai_settings).transcribe(speech_wav, language="en", work_dir=tmp_path)
    assert len(fake_openai.requests) == 1 and pauses == []
