"""Deepgram through deepgram-sdk, against a fake that speaks its HTTP API and answers with real
responses."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from pipelines.context import StepContext
from pipelines.transcription.deepgram import DeepgramTranscriber
from pipelines.transcription.errors import ProviderRejected, ProviderUnavailable
from pipelines.transcription.step import transcribe_step
from settings import Settings
from tests.fakes.deepgram_server import FakeDeepgram, load_fixture
from tests.transcription.conftest import DEEPGRAM_KEY


def test_upload_carries_the_speech_bytes_and_the_options(
    deepgram_settings: Settings, fake_deepgram: FakeDeepgram, speech_wav: Path, tmp_path: Path
) -> None:
    transcript = DeepgramTranscriber(deepgram_settings).transcribe(
        speech_wav, language="en", work_dir=tmp_path
    )

    [request] = fake_deepgram.requests
    assert request.path == "/v1/listen"
    assert request.headers["Authorization"] == f"Token {DEEPGRAM_KEY}"
    assert request.body == speech_wav.read_bytes()
    assert request.query["model"] == ["nova-3"]
    for option in ("smart_format", "paragraphs", "utterances", "punctuate"):
        assert request.query[option] == ["true"]
    assert request.query["language"] == ["en"]
    assert "diarize" not in request.query
    fixture = load_fixture("deepgram-utterances.json")["results"]["channels"][0]["alternatives"][0]
    assert [w.word for w in transcript.words] == [w["punctuated_word"] for w in fixture["words"]]
    assert transcript.text.startswith("Yeah. As as much as, it's worth celebrating")
    assert [s.start for s in transcript.segments] == [0.08]
    assert transcript.segments[0].text.startswith("Yeah. As as much as")


def test_storage_on_s3_lets_deepgram_fetch_the_presigned_url(
    deepgram_settings: Settings, fake_deepgram: FakeDeepgram, speech_wav: Path, tmp_path: Path
) -> None:
    url = "https://cnt-media.s3.amazonaws.com/uploads/c1/source?X-Amz-Signature=abc"
    DeepgramTranscriber(deepgram_settings).transcribe(
        speech_wav, language="en", work_dir=tmp_path, source_url=url
    )

    [request] = fake_deepgram.requests
    assert request.json == {"url": url}


def test_diarisation_asks_for_speakers_and_keeps_them(
    make_settings: Callable[..., Settings], speech_wav: Path, tmp_path: Path
) -> None:
    response = load_fixture("deepgram-speakers.json")
    spoken = {w["speaker"] for w in response["results"]["channels"][0]["alternatives"][0]["words"]}
    with FakeDeepgram(DEEPGRAM_KEY, response) as server:
        settings = make_settings(
            transcription_provider="deepgram",
            deepgram_api_key=DEEPGRAM_KEY,
            deepgram_base_url=server.url,
            deepgram_diarize=True,
        )
        transcript = DeepgramTranscriber(settings).transcribe(
            speech_wav, language="en", work_dir=tmp_path
        )
        assert server.requests[0].query["diarize"] == ["true"]
    assert len(spoken) > 1
    assert {w.speaker for w in transcript.words} == spoken
    assert {s.speaker for s in transcript.segments} == spoken


def test_429_waits_as_long_as_retry_after_says_then_succeeds(
    deepgram_settings: Settings,
    fake_deepgram: FakeDeepgram,
    speech_wav: Path,
    tmp_path: Path,
    pauses: list[float],
) -> None:
    fake_deepgram.fail_next(429, {"err_code": "TOO_MANY_REQUESTS"}, {"Retry-After": "3"})

    transcript = DeepgramTranscriber(deepgram_settings).transcribe(
        speech_wav, language="en", work_dir=tmp_path
    )

    assert pauses == [3.0]
    assert len(fake_deepgram.requests) == 2
    assert transcript.words


def test_500_then_success_backs_off_once(
    deepgram_settings: Settings,
    fake_deepgram: FakeDeepgram,
    speech_wav: Path,
    tmp_path: Path,
    pauses: list[float],
) -> None:
    fake_deepgram.fail_next(500, {"err_code": "INTERNAL_SERVER_ERROR"})

    transcript = DeepgramTranscriber(deepgram_settings).transcribe(
        speech_wav, language="en", work_dir=tmp_path
    )

    assert len(pauses) == 1 and pauses[0] > 0
    assert len(fake_deepgram.requests) == 2
    assert transcript.words


def test_a_long_retry_after_is_left_to_the_queue(
    deepgram_settings: Settings,
    fake_deepgram: FakeDeepgram,
    speech_wav: Path,
    tmp_path: Path,
    pauses: list[float],
) -> None:
    fake_deepgram.fail_next(429, {"err_code": "TOO_MANY_REQUESTS"}, {"Retry-After": "120"})

    with pytest.raises(ProviderUnavailable) as raised:
        DeepgramTranscriber(deepgram_settings).transcribe(
            speech_wav, language="en", work_dir=tmp_path
        )

    assert raised.value.retry_after == 120.0
    assert raised.value.transient
    assert pauses == []
    assert len(fake_deepgram.requests) == 1


def test_a_provider_down_for_good_is_transient_after_three_tries(
    deepgram_settings: Settings,
    fake_deepgram: FakeDeepgram,
    speech_wav: Path,
    tmp_path: Path,
    pauses: list[float],
) -> None:
    fake_deepgram.fail_next(503, {"err_msg": "Service Unavailable"}, times=3)

    with pytest.raises(ProviderUnavailable, match="deepgram answered 503"):
        DeepgramTranscriber(deepgram_settings).transcribe(
            speech_wav, language="en", work_dir=tmp_path
        )
    assert len(fake_deepgram.requests) == 3
    assert pauses == [0.5, 1.0]


def test_401_fails_at_once_with_a_reason_and_never_the_key(
    make_settings: Callable[..., Settings],
    fake_deepgram: FakeDeepgram,
    speech_wav: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong_key = "dg-wrong-key-fedcba9876543210"
    settings = make_settings(
        transcription_provider="deepgram",
        deepgram_api_key=wrong_key,
        deepgram_base_url=fake_deepgram.url,
    )
    caplog.set_level(logging.DEBUG)

    with pytest.raises(ProviderRejected) as raised:
        DeepgramTranscriber(settings).transcribe(speech_wav, language="en", work_dir=tmp_path)

    assert len(fake_deepgram.requests) == 1
    message = str(raised.value)
    assert "401" in message and "Invalid credentials" in message
    assert "DEEPGRAM_API_KEY" in message
    assert not raised.value.transient
    assert wrong_key not in message
    assert wrong_key not in caplog.text
    # A traceback the worker logs shows no SDK exception (whose request carried the key).
    assert raised.value.__suppress_context__


def test_the_step_writes_the_transcript_as_downloadable_text_and_json(
    deepgram_settings: Settings,
    fake_deepgram: FakeDeepgram,
    speech_wav: Path,
    make_context: Callable[..., StepContext],
) -> None:
    ctx = make_context(deepgram_settings, speech_wav)

    result = transcribe_step(ctx)

    assert {a.key for a in result.assets} == {
        "transcript/transcript.txt",
        "transcript/transcript.json",
    }
    assert {a.kind for a in result.assets} == {"transcript"}
    text = ctx.outputs.get_bytes("transcript/transcript.txt").decode()
    assert text.startswith("Yeah. As as much as, it's worth celebrating")
    assert result.data["provider"] == "deepgram"
    assert result.data["language"] == "en"
    assert set(result.data) == {"provider", "language", "text", "segments", "words"}
    assert set(result.data["words"][0]) == {"word", "start", "end", "speaker"}
    assert set(result.data["segments"][0]) == {"start", "end", "text", "speaker"}


def test_a_silent_recording_is_a_success_with_nothing_to_show(
    make_settings: Callable[..., Settings],
    speech_wav: Path,
    make_context: Callable[..., StepContext],
) -> None:
    silent = load_fixture("deepgram-transcription.json")
    alternative = silent["results"]["channels"][0]["alternatives"][0]
    alternative.update(transcript="", words=[], confidence=0.0)
    with FakeDeepgram(DEEPGRAM_KEY, silent) as server:
        settings = make_settings(
            transcription_provider="deepgram",
            deepgram_api_key=DEEPGRAM_KEY,
            deepgram_base_url=server.url,
        )
        result = transcribe_step(make_context(settings, speech_wav))

    assert result.assets == []
    assert result.data["text"] == "" and result.data["words"] == []


def test_provider_none_does_nothing(
    make_settings: Callable[..., Settings],
    speech_wav: Path,
    make_context: Callable[..., StepContext],
) -> None:
    result = transcribe_step(make_context(make_settings(), speech_wav))

    assert result.assets == [] and result.data == {}
