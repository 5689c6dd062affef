"""Speech to text: one small interface over the providers, chosen by settings.

A provider turns an audio file (or a URL it can fetch) into a `Transcript`: full text, timed
segments (paragraphs) and timed words. Captions are built from the words; search and the
downloadable text use the text and segments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import msgspec

from pipelines.media.runner import Cancel
from settings import Settings

__all__ = [
    "Segment",
    "Transcriber",
    "Transcript",
    "Word",
    "transcriber_from_settings",
]


class Word(msgspec.Struct, kw_only=True):
    """One spoken word, with its punctuation as the provider wrote it, in seconds from 0."""

    word: str
    start: float
    end: float
    speaker: int | None = None


class Segment(msgspec.Struct, kw_only=True):
    """A paragraph (or a provider segment) with its time span."""

    start: float
    end: float
    text: str
    speaker: int | None = None


class Transcript(msgspec.Struct, kw_only=True):
    provider: str
    language: str
    text: str = ""
    segments: list[Segment] = msgspec.field(default_factory=list)
    words: list[Word] = msgspec.field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.text.strip() and not self.words

    def to_data(self) -> dict[str, Any]:
        """The plain-dict shape stored on the job and in the Transcript row."""
        data: dict[str, Any] = msgspec.to_builtins(self)
        return data

    def shifted(self, offset: float) -> Transcript:
        """The same transcript with every time moved by `offset` seconds (chunk merging)."""
        return Transcript(
            provider=self.provider,
            language=self.language,
            text=self.text,
            segments=[
                msgspec.structs.replace(s, start=s.start + offset, end=s.end + offset)
                for s in self.segments
            ],
            words=[
                msgspec.structs.replace(w, start=w.start + offset, end=w.end + offset)
                for w in self.words
            ],
        )


class Transcriber(Protocol):
    """A speech-to-text provider. Raises ProviderUnavailable (transient) or ProviderRejected."""

    name: str

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
        """`source_url`: a presigned URL the provider may fetch instead of an upload.
        `demuxer`: the probe's, for any ffmpeg run on `audio`. `cancel`: stops ffmpeg runs."""
        ...


def transcriber_from_settings(settings: Settings) -> Transcriber | None:
    """The configured provider, or None for `none`. SDKs are imported only when chosen."""
    if settings.transcription_provider == "deepgram":
        from pipelines.transcription.deepgram import DeepgramTranscriber

        return DeepgramTranscriber(settings)
    if settings.transcription_provider == "openai":
        from pipelines.transcription.openai import OpenAITranscriber

        return OpenAITranscriber(settings)
    return None
