"""Captions built to caption norms from real provider responses, read back with webvtt-py, and
published as a SUBTITLES rendition of the HLS master."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import webvtt

from pipelines.context import StepContext, StepResult
from pipelines.media.hls import build_master
from pipelines.media.master import publish_step
from pipelines.transcription import Transcript, Word
from pipelines.transcription.captions import CaptionRules, build_cues, captions_step, ends_sentence
from pipelines.transcription.deepgram import transcript_from_response
from settings import Settings
from tests.fakes.deepgram_server import load_fixture

FIXTURES = [
    "deepgram-transcription.json",
    "deepgram-utterances.json",
    "deepgram-speakers.json",
    "deepgram-whisper_transcription.json",
]
RULES = CaptionRules()


def transcript_of(fixture: str) -> Transcript:
    return transcript_from_response(load_fixture(fixture), language="en")


def vtt_captions(text: str) -> list[webvtt.Caption]:
    return webvtt.from_string(text).captions


def seconds(timestamp: str) -> float:
    hours, minutes, rest = timestamp.replace(",", ".").split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


@pytest.mark.parametrize("fixture", FIXTURES)
def test_cues_keep_to_the_caption_norms(fixture: str) -> None:
    words = transcript_of(fixture).words

    cues = build_cues(words)

    assert cues
    for cue in cues:
        assert 1 <= len(cue.lines) <= 2
        assert all(len(line) <= 42 for line in cue.lines), cue.lines
        assert 1.0 - 1e-9 <= cue.end - cue.start <= 7.0 + 1e-9
    for before, after in zip(cues, cues[1:], strict=False):
        assert before.end <= after.start  # never two cues on screen at once
    # Every word shows once, in order.
    shown = " ".join(" ".join(cue.lines) for cue in cues)
    shown = re.sub(r"\[Speaker \d+\] ", "", shown)
    assert shown == " ".join(w.word for w in words)


@pytest.mark.parametrize("fixture", FIXTURES)
def test_a_cue_runs_past_a_sentence_end_only_when_it_would_flash(fixture: str) -> None:
    for cue in build_cues(transcript_of(fixture).words):
        for word in cue.words[:-1]:
            if ends_sentence(word.word):
                assert word.end - cue.words[0].start < RULES.min_cue_s


def test_diarised_cues_start_a_new_speaker_with_a_label() -> None:
    words = transcript_of("deepgram-speakers.json").words

    cues = build_cues(words)

    for cue in cues:
        assert len({w.speaker for w in cue.words}) == 1
    for before, after in zip(cues, cues[1:], strict=False):
        if before.speaker != after.speaker:
            assert after.lines[0].startswith(f"[Speaker {after.speaker + 1}] ")  # type: ignore[operator]
        else:
            assert not after.lines[0].startswith("[Speaker")


def test_a_long_pause_ends_a_cue() -> None:
    words = [
        Word(word="Grace", start=0.0, end=0.4),
        Word(word="and", start=0.5, end=0.7),
        Word(word="peace", start=4.0, end=4.5),
    ]

    cues = build_cues(words)

    assert [c.lines for c in cues] == [["Grace and"], ["peace"]]
    assert cues[0].end < 4.0


def test_the_step_writes_webvtt_and_srt_that_read_back(
    make_settings: Callable[..., Settings],
    make_context: Callable[..., StepContext],
    speech_wav: Path,
) -> None:
    transcript = transcript_of("deepgram-speakers.json")
    ctx = make_context(
        make_settings(), speech_wav, previous={"transcribe": StepResult(data=transcript.to_data())}
    )

    result = captions_step(ctx)

    assert [(a.key, a.kind, a.mime_type, a.language) for a in result.assets] == [
        ("captions/en.vtt", "captions", "text/vtt", "en"),
        ("captions/en.srt", "captions", "application/x-subrip", "en"),
    ]
    vtt_text = ctx.outputs.get_bytes("captions/en.vtt").decode()
    srt_text = ctx.outputs.get_bytes("captions/en.srt").decode()
    from_vtt = vtt_captions(vtt_text)
    from_srt = webvtt.from_buffer(io.StringIO(srt_text), format="srt").captions
    assert len(from_vtt) == len(from_srt) == result.data["cues"]
    assert from_vtt[0].voice == "Speaker 1"
    assert from_vtt[0].text.startswith("[Speaker 1] And, Jessica,")
    assert from_srt[0].text == from_vtt[0].text
    assert "<v " not in srt_text
    assert [c.start for c in from_vtt] == [c.start for c in from_srt]
    assert seconds(from_vtt[0].start) == pytest.approx(3.04)


def test_no_words_is_a_success_with_no_captions(
    make_settings: Callable[..., Settings],
    make_context: Callable[..., StepContext],
    speech_wav: Path,
) -> None:
    empty = Transcript(provider="deepgram", language="en")
    ctx = make_context(
        make_settings(), speech_wav, previous={"transcribe": StepResult(data=empty.to_data())}
    )

    result = captions_step(ctx)

    assert result.assets == []
    assert ctx.outputs.list_keys("") == []


VARIANTS = [
    {
        "name": "720p",
        "uri": "720p/index.m3u8",
        "bandwidth": 2_200_000,
        "average_bandwidth": 2_000_000,
        "codecs": "avc1.64001f,mp4a.40.2",
        "resolution": "1280x720",
    },
    {
        "name": "360p",
        "uri": "360p/index.m3u8",
        "bandwidth": 900_000,
        "average_bandwidth": 800_000,
        "codecs": "avc1.64001e,mp4a.40.2",
        "resolution": "640x360",
    },
]


def published_context(
    make_settings: Callable[..., Settings],
    make_context: Callable[..., StepContext],
    source: Path,
    transcript: Transcript,
) -> StepContext:
    """What the worker hands the step: every step of the generation that succeeded before it."""
    ctx = make_context(
        make_settings(),
        source,
        previous={
            "probe": StepResult(data={"duration": 25.933313}),
            "encode_video": StepResult(data={"variants": VARIANTS}),
            "publish": StepResult(data={"master_key": "hls/master.m3u8"}),
            "transcribe": StepResult(data=transcript.to_data()),
        },
    )
    ctx.outputs.put_bytes("hls/master.m3u8", build_master(VARIANTS).encode())
    return ctx


def test_captions_join_the_published_master_as_a_subtitles_rendition(
    make_settings: Callable[..., Settings],
    make_context: Callable[..., StepContext],
    speech_wav: Path,
) -> None:
    transcript = transcript_of("deepgram-utterances.json")
    ctx = published_context(make_settings, make_context, speech_wav, transcript)

    first = captions_step(ctx)
    master_once = ctx.outputs.get_bytes("hls/master.m3u8").decode()
    again = captions_step(ctx)  # a retried step leaves the same master

    assert ctx.outputs.get_bytes("hls/master.m3u8").decode() == master_once
    assert first.data == again.data
    assert first.data["invalidate"] == [
        "hls/master.m3u8",
        "captions/en.m3u8",
        "captions/en.vtt",
        "captions/en.srt",
    ]
    assert first.data["subtitles"] == [
        {"uri": "../captions/en.m3u8", "language": "en", "name": "English"}
    ]
    media = [line for line in master_once.splitlines() if line.startswith("#EXT-X-MEDIA:")]
    assert len(media) == 1
    assert 'TYPE=SUBTITLES,GROUP-ID="subs"' in media[0]
    assert 'LANGUAGE="en"' in media[0] and 'URI="../captions/en.m3u8"' in media[0]
    streams = [line for line in master_once.splitlines() if line.startswith("#EXT-X-STREAM-INF")]
    assert len(streams) == 2 and all('SUBTITLES="subs"' in line for line in streams)
    playlist = ctx.outputs.get_bytes("captions/en.m3u8").decode().splitlines()
    assert "#EXT-X-TARGETDURATION:26" in playlist
    assert playlist[playlist.index("#EXTINF:25.933,") + 1] == "en.vtt"
    assert playlist[-1] == "#EXT-X-ENDLIST"


def test_a_re_publish_keeps_the_subtitles_in_the_master(
    make_settings: Callable[..., Settings],
    make_context: Callable[..., StepContext],
    speech_wav: Path,
) -> None:
    transcript = transcript_of("deepgram-utterances.json")
    ctx = published_context(make_settings, make_context, speech_wav, transcript)
    captioned = captions_step(ctx)
    master = ctx.outputs.get_bytes("hls/master.m3u8")

    ctx.previous["captions"] = captioned
    publish_step(ctx)

    assert ctx.outputs.get_bytes("hls/master.m3u8") == master


def test_before_publishing_the_master_is_left_to_publish(
    make_settings: Callable[..., Settings],
    make_context: Callable[..., StepContext],
    speech_wav: Path,
) -> None:
    transcript = transcript_of("deepgram-transcription.json")
    ctx = make_context(
        make_settings(), speech_wav, previous={"transcribe": StepResult(data=transcript.to_data())}
    )

    result = captions_step(ctx)

    assert "hls/master.m3u8" not in result.data["invalidate"]
    assert not ctx.outputs.exists("hls/master.m3u8")
    assert len(result.assets) == 2
