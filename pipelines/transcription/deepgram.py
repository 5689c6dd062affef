"""Deepgram prerecorded transcription through deepgram-sdk (nova-3, smart format, paragraphs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
from deepgram import DeepgramClient, DeepgramClientEnvironment
from deepgram.core.api_error import ApiError

from pipelines.media.runner import Cancel
from pipelines.transcription import Segment, Transcript, Word
from pipelines.transcription.errors import ProviderHTTPError
from pipelines.transcription.retry import call_with_retries
from settings import Settings

# Deepgram takes uploads up to 2 GB; above that the step sends the compact speech track instead.
MAX_UPLOAD_BYTES = 2 * 1024**3
# Deepgram answers a prerecorded request when it is done; an hour of audio takes well under this.
REQUEST_TIMEOUT_S = 600.0


# The part of a prerecorded response we read, validated once at the edge.
class _DgWord(msgspec.Struct):
    word: str
    start: float
    end: float
    speaker: int | None = None
    punctuated_word: str | None = None


class _DgSentence(msgspec.Struct):
    text: str
    start: float
    end: float


class _DgParagraph(msgspec.Struct):
    sentences: list[_DgSentence]
    start: float
    end: float
    speaker: int | None = None


class _DgParagraphs(msgspec.Struct):
    transcript: str = ""
    paragraphs: list[_DgParagraph] = msgspec.field(default_factory=list)


class _DgAlternative(msgspec.Struct):
    transcript: str = ""
    words: list[_DgWord] = msgspec.field(default_factory=list)
    paragraphs: _DgParagraphs | None = None


class _DgChannel(msgspec.Struct):
    alternatives: list[_DgAlternative]


class _DgUtterance(msgspec.Struct):
    start: float
    end: float
    transcript: str
    speaker: int | None = None


class _DgResults(msgspec.Struct):
    channels: list[_DgChannel]
    utterances: list[_DgUtterance] | None = None


class DeepgramResponse(msgspec.Struct):
    results: _DgResults


def transcript_from_response(body: dict[str, Any], *, language: str) -> Transcript:
    """Turn a prerecorded response (as JSON) into our Transcript; an empty one is valid."""
    response = msgspec.convert(body, DeepgramResponse)
    channels = response.results.channels
    if not channels or not channels[0].alternatives:
        return Transcript(provider="deepgram", language=language)
    best = channels[0].alternatives[0]
    words = [
        Word(word=w.punctuated_word or w.word, start=w.start, end=w.end, speaker=w.speaker)
        for w in best.words
    ]
    segments: list[Segment]
    if best.paragraphs and best.paragraphs.paragraphs:
        segments = [
            Segment(
                start=p.start,
                end=p.end,
                text=" ".join(s.text for s in p.sentences),
                speaker=p.speaker,
            )
            for p in best.paragraphs.paragraphs
        ]
    else:
        segments = [
            Segment(start=u.start, end=u.end, text=u.transcript, speaker=u.speaker)
            for u in response.results.utterances or []
        ]
    if not segments and best.transcript.strip() and words:
        segments = [Segment(start=words[0].start, end=words[-1].end, text=best.transcript)]
    # The paragraphed transcript keeps the speaker turns as blank lines: nicer to download.
    text = (best.paragraphs.transcript.strip() if best.paragraphs else "") or best.transcript
    return Transcript(
        provider="deepgram", language=language, text=text, segments=segments, words=words
    )


class DeepgramTranscriber:
    name = "deepgram"

    def __init__(self, settings: Settings, *, httpx_client: httpx.Client | None = None) -> None:
        self.settings = settings
        self._secrets = (settings.deepgram_api_key,)
        options: dict[str, Any] = {}
        if settings.deepgram_base_url:
            base = settings.deepgram_base_url.rstrip("/")
            ws = base.replace("https://", "wss://").replace("http://", "ws://")
            options["environment"] = DeepgramClientEnvironment(
                base=base, production=ws, agent=ws, agent_rest=base
            )
        self.client = DeepgramClient(
            api_key=settings.deepgram_api_key,
            timeout=REQUEST_TIMEOUT_S,
            max_retries=0,  # retry.py decides; see there
            httpx_client=httpx_client,
            **options,
        )

    def _options(self, language: str) -> dict[str, Any]:
        return {
            "model": self.settings.deepgram_model,
            "language": language,
            "smart_format": True,
            "punctuate": True,
            "paragraphs": True,
            "utterances": True,
            "diarize": self.settings.deepgram_diarize or None,
        }

    def transcribe(
        self,
        audio: Path,
        *,
        language: str,
        work_dir: Path,
        source_url: str | None = None,
        demuxer: str | None = None,
        cancel: Cancel | None = None,
    ) -> Transcript:
        """Deepgram fetches `source_url` itself when given (S3); else the file is streamed up."""
        options = self._options(language)

        def call() -> dict[str, Any]:
            try:
                if source_url:
                    response = self.client.listen.v1.media.transcribe_url(url=source_url, **options)
                else:
                    response = self.client.listen.v1.media.transcribe_file(
                        request=_read_blocks(audio), **options
                    )
            except ApiError as error:
                raise ProviderHTTPError(
                    error.status_code, _reason(error.body), dict(error.headers or {})
                ) from None
            except httpx.HTTPError as error:
                raise ProviderHTTPError(None, type(error).__name__) from None
            # The SDK's models allow extras (punctuated_word is one); JSON keeps them all.
            body: dict[str, Any] = json.loads(response.json())
            return body

        body = call_with_retries("deepgram", call, secrets=self._secrets)
        return transcript_from_response(body, language=language)


def _read_blocks(path: Path, size: int = 1024 * 1024) -> Iterator[bytes]:
    """The file as blocks: an hour of video is never held in memory for the upload."""
    with open(path, "rb") as handle:
        while block := handle.read(size):
            yield block


def _reason(body: object) -> str:
    """Deepgram's own words for a refusal (`err_msg`), else the body, kept short."""
    if isinstance(body, dict):
        for key in ("err_msg", "message", "reason", "err_code"):
            if body.get(key):
                return str(body[key])[:300]
    return str(body)[:300] if body else "no reason given"
