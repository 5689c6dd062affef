"""Captions built to caption norms from real provider responses, read back with webvtt-py, and
published as a SUBTITLES rendition of the HLS master."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import webvtt

from pipelines.captions import CaptionRules, build_cues, captions_step, ends_sentence
from pipelines.captions_hls import add_subtitles_to_master
from pipelines.context import StepContext, StepResult
from pipelines.transcription import Transcript, Word
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

MASTER = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-STREAM-INF:BANDWIDTH=2200000,AVERAGE-BANDWIDTH=2000000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"
720p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"
360p/index.m3u8
"""


def transcript_of(fixture: str) -> Transcript:
    return transcript_from_response(load_fixture(fixture), language="en")


def vtt_captions(text: str) -> list[webvtt.Caption]:
    return list(webvtt.from_string(text))


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
    from_srt = list(webvtt.from_buffer(io.StringIO(srt_text), format="srt"))
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
    assert ctx.outputs.list_keys() == []


def test_captions_join_the_published_master_as_a_subtitles_rendition(
    make_settings: Callable[..., Settings],
    make_context: Callable[..., StepContext],
    speech_wav: Path,
) -> None:
    transcript = transcript_of("deepgram-utterances.json")
    ctx = make_context(
        make_settings(),
        speech_wav,
        previous={
            "transcribe": StepResult(data=transcript.to_data()),
            "probe": StepResult(data={"duration": 25.933313}),
        },
    )
    ctx.outputs.put_bytes("hls/master.m3u8", MASTER.encode())

    first = captions_step(ctx)
    master_once = ctx.outputs.get_bytes("hls/master.m3u8").decode()
    again = captions_step(ctx)  # a retried step leaves the same master

    assert ctx.outputs.get_bytes("hls/master.m3u8").decode() == master_once
    assert (
        first.data["invalidate"]
        == again.data["invalidate"]
        == [
            "hls/master.m3u8",
            "captions/en.m3u8",
        ]
    )
    media = [line for line in master_once.splitlines() if line.startswith("#EXT-X-MEDIA:")]
    assert media == [
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",'
        'DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="../captions/en.m3u8"'
    ]
    streams = [line for line in master_once.splitlines() if line.startswith("#EXT-X-STREAM-INF")]
    assert len(streams) == 2 and all(line.endswith(',SUBTITLES="subs"') for line in streams)
    assert master_once.index("#EXT-X-MEDIA:") < master_once.index("#EXT-X-STREAM-INF")
    playlist = ctx.outputs.get_bytes("captions/en.m3u8").decode().splitlines()
    assert "#EXT-X-TARGETDURATION:26" in playlist
    assert playlist[playlist.index("#EXTINF:25.933,") + 1] == "en.vtt"
    assert playlist[-1] == "#EXT-X-ENDLIST"


def test_without_a_master_there_is_nothing_to_invalidate(
    make_settings: Callable[..., Settings],
    make_context: Callable[..., StepContext],
    speech_wav: Path,
) -> None:
    transcript = transcript_of("deepgram-transcription.json")
    ctx = make_context(
        make_settings(), speech_wav, previous={"transcribe": StepResult(data=transcript.to_data())}
    )

    result = captions_step(ctx)

    assert result.data["invalidate"] == []
    assert len(result.assets) == 2


def test_adding_subtitles_keeps_other_renditions_and_replaces_its_own_language() -> None:
    with_audio = MASTER.replace(
        "#EXT-X-STREAM-INF",
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="Main",URI="audio/index.m3u8"\n'
        "#EXT-X-STREAM-INF",
        1,
    )
    once = add_subtitles_to_master(with_audio, "../captions/en.m3u8", "en", "English")
    twice = add_subtitles_to_master(once, "../captions/en.m3u8", "en", "English")
    spanish = add_subtitles_to_master(twice, "../captions/es.m3u8", "es", "Español")

    assert once == twice
    lines = spanish.splitlines()
    media = [line for line in lines if line.startswith("#EXT-X-MEDIA:")]
    assert len(media) == 3 and media[0].startswith("#EXT-X-MEDIA:TYPE=AUDIO")
    assert all(line.count("SUBTITLES=") == 1 for line in lines if line.startswith("#EXT-X-STREAM"))
