"""OpenAI transcription (whisper-1, gpt-4o-transcribe) and any OpenAI-compatible Whisper server.

The same client serves both: a self-hosted server is the OpenAI API at another base URL. Audio
goes up as a compact speech track, cut into chunks under the upload limit (chunking.py), which
are transcribed concurrently and merged with their offsets.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import msgspec
from openai import APIConnectionError, APIStatusError, OpenAI

from pipelines.media.runner import Cancel
from pipelines.transcription import Segment, Transcript, Word
from pipelines.transcription.alignment import estimate_words, punctuate
from pipelines.transcription.chunking import (
    Chunk,
    audio_duration,
    cut_chunk,
    detect_silences,
    encode_speech_track,
    merge_chunks,
    plan_chunks,
)
from pipelines.transcription.errors import ProviderHTTPError
from pipelines.transcription.retry import call_with_retries
from settings import Settings

log = logging.getLogger(__name__)

# OpenAI rate limits are per organisation; four uploads at once is quick without tripping them.
MAX_CONCURRENT_CHUNKS = 4
# Error codes OpenAI sends with a retryable status that no retry will fix: billing.
PERMANENT_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
# A 25 MB chunk of speech is ~1.7 hours; whisper-1 returns it in a few minutes.
REQUEST_TIMEOUT_S = 900.0


# verbose_json as we read it (the documented TranscriptionVerbose shape), validated at the edge.
class _VerboseWord(msgspec.Struct):
    word: str
    start: float
    end: float


class _VerboseSegment(msgspec.Struct):
    start: float
    end: float
    text: str


class VerboseTranscription(msgspec.Struct):
    text: str = ""
    duration: float | None = None
    segments: list[_VerboseSegment] | None = None
    words: list[_VerboseWord] | None = None


def supports_verbose_json(model: str) -> bool:
    """Per OpenAI's docs only whisper-1 returns timings; gpt-4o-* transcribe return text only.
    Self-hosted Whisper servers name their own models and all speak verbose_json."""
    return not model.startswith(("gpt-", "gpt4"))


def transcript_from_verbose(body: dict[str, Any], *, language: str, duration: float) -> Transcript:
    """One chunk's answer as a Transcript in the chunk's own time (0 = its first sample)."""
    answer = msgspec.convert(body, VerboseTranscription)
    words = [Word(word=w.word.strip(), start=w.start, end=w.end) for w in answer.words or []]
    words = [w for w in words if w.word]
    segments = [
        Segment(start=s.start, end=s.end, text=s.text.strip())
        for s in answer.segments or []
        if s.text.strip()
    ]
    # Only the provider's own segments time words: a text-only answer has no timing to go by.
    words = punctuate(words, segments) if words else estimate_words(segments)
    if not segments and answer.text.strip():
        # Text-only models: the chunk is one segment, so search and the download still work.
        segments = [Segment(start=0.0, end=duration, text=answer.text.strip())]
    return Transcript(
        provider="openai",
        language=language,
        text=answer.text.strip(),
        segments=segments,
        words=words,
    )


class OpenAITranscriber:
    name = "openai"

    def __init__(self, settings: Settings, *, http_client: httpx2.Client | None = None) -> None:
        self.settings = settings
        self.model = settings.openai_transcribe_model
        self._secrets = (settings.openai_api_key,)
        self.client = OpenAI(
            # A self-hosted server may want no key, but the client insists on one.
            api_key=settings.openai_api_key or "no-key",
            base_url=settings.openai_base_url or None,
            max_retries=0,  # retry.py decides; see there
            timeout=REQUEST_TIMEOUT_S,
            http_client=http_client,
        )

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
        """The provider cannot fetch URLs, so `source_url` is unused: the audio goes up."""
        timeout = self.settings.ffmpeg_timeout_s
        chunk_dir = work_dir / "transcribe"
        track = encode_speech_track(
            audio, chunk_dir / "speech.mp3", demuxer=demuxer, timeout=timeout, cancel=cancel
        )
        duration = audio_duration(track, cancel=cancel)
        size = track.stat().st_size
        max_bytes = self.settings.openai_chunk_max_bytes
        silences = (
            detect_silences(track, timeout=timeout, cancel=cancel) if size > max_bytes else []
        )
        chunks = plan_chunks(duration, size, max_bytes, silences)
        log.info(
            "transcribing %.1fs of speech in %d chunk(s) with %s", duration, len(chunks), self.model
        )
        if len(chunks) == 1:
            return self._transcribe_chunk(track, chunks[0], language)[1]

        files = [
            cut_chunk(
                track,
                chunk,
                chunk_dir / f"chunk-{chunk.index:03d}.mp3",
                timeout=timeout,
                cancel=cancel,
            )
            for chunk in chunks
        ]
        with ThreadPoolExecutor(max_workers=MAX_CONCURRENT_CHUNKS) as pool:
            parts = list(
                pool.map(
                    lambda pair: self._transcribe_chunk(pair[0], pair[1], language),
                    zip(files, chunks, strict=True),
                )
            )
        return merge_chunks(parts, provider="openai", language=language)

    def _transcribe_chunk(
        self, path: Path, chunk: Chunk, language: str
    ) -> tuple[Chunk, Transcript]:
        verbose = supports_verbose_json(self.model)
        options: dict[str, Any] = {"model": self.model, "language": language.split("-")[0]}
        if verbose:
            options["response_format"] = "verbose_json"
            options["timestamp_granularities"] = ["word", "segment"]
        else:
            options["response_format"] = "json"

        def call() -> dict[str, Any]:
            try:
                with open(path, "rb") as handle:
                    answer = self.client.audio.transcriptions.create(
                        file=(path.name, handle, "audio/mpeg"), **options
                    )
            except APIStatusError as error:
                raise ProviderHTTPError(
                    error.status_code,
                    _reason(error.body),
                    dict(error.response.headers),
                    permanent=error.code in PERMANENT_CODES,
                ) from None
            except APIConnectionError as error:
                raise ProviderHTTPError(None, type(error).__name__) from None
            body: dict[str, Any] = answer.model_dump()
            return body

        body = call_with_retries("openai", call, secrets=self._secrets)
        return chunk, transcript_from_verbose(body, language=language, duration=chunk.read_duration)


def _reason(body: object) -> str:
    """OpenAI's error message (`{"error": {"message", "code"}}`), kept short; redacted later."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            parts = [str(inner.get(k)) for k in ("code", "message") if inner.get(k)]
            if parts:
                return ": ".join(parts)[:300]
    return str(body)[:300] if body else "no reason given"
