"""The `transcribe` step: the content's speech as a Transcript, plus downloadable text and JSON."""

from __future__ import annotations

import logging
import time
from typing import Any

import msgspec

from pipelines.context import AssetOut, StepContext, StepResult
from pipelines.transcription import Transcript, transcriber_from_settings
from pipelines.transcription.chunking import encode_speech_track
from pipelines.transcription.deepgram import MAX_UPLOAD_BYTES

log = logging.getLogger(__name__)

TEXT_KEY = "transcript/transcript.txt"
JSON_KEY = "transcript/transcript.json"


NO_PROVIDER = "no transcription provider is set (TRANSCRIPTION_PROVIDER=none)"


def transcribe_step(ctx: StepContext) -> StepResult:
    """Provider `none` → skipped, saying so. A silent recording → an empty transcript, no assets.

    Raises ProviderUnavailable (retry later, `retry_after` set when the provider said) or
    ProviderRejected (bad key or request; the plan goes on without captions).
    """
    transcriber = transcriber_from_settings(ctx.settings)
    if transcriber is None:
        return StepResult(skipped=NO_PROVIDER)
    language = ctx.metadata.language or ctx.settings.transcription_language
    probe = _probe(ctx)
    if probe is not None and probe.get("audio") is None:
        # A video with no sound: nothing to hear is not a failure.
        return StepResult(data=Transcript(provider=transcriber.name, language=language).to_data())
    demuxer = str(probe["demuxer"]) if probe and probe.get("demuxer") else None
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    audio = ctx.source
    source_url = ctx.source_url if transcriber.name == "deepgram" else None
    too_big = audio.stat().st_size > MAX_UPLOAD_BYTES
    if transcriber.name == "deepgram" and not source_url and too_big:
        # Past Deepgram's upload limit (long video): its speech alone is a few MB an hour.
        audio = encode_speech_track(
            audio,
            ctx.work_dir / "speech.mp3",
            demuxer=demuxer,
            timeout=ctx.settings.ffmpeg_timeout_s,
            cancel=ctx.cancel,
        )
        demuxer = "mp3"
    transcript = transcriber.transcribe(
        audio,
        language=language,
        work_dir=ctx.work_dir,
        source_url=source_url,
        demuxer=demuxer,
        cancel=ctx.cancel,
    )
    ctx.on_progress(1.0)
    media_seconds = transcript.words[-1].end if transcript.words else 0.0
    log.info(
        "transcribed content %s g%d with %s: %d words in %.1fs",
        ctx.content_id,
        ctx.generation,
        transcriber.name,
        len(transcript.words),
        time.monotonic() - started,
    )
    if transcript.is_empty:
        return StepResult(data=transcript.to_data(), media_seconds=media_seconds)
    return StepResult(
        assets=write_transcript_files(ctx, transcript),
        data=transcript.to_data(),
        media_seconds=media_seconds,
    )


def _probe(ctx: StepContext) -> dict[str, Any] | None:
    """The probe step's facts, when this ran after it (the worker passes every earlier step)."""
    result = ctx.previous.get("probe")
    probe = result.data.get("probe") if result is not None else None
    return probe if isinstance(probe, dict) else None


def write_transcript_files(ctx: StepContext, transcript: Transcript) -> list[AssetOut]:
    """Plain text (one paragraph a line, for download) and the full JSON (words and all)."""
    text = plain_text(transcript).encode()
    document = msgspec.json.encode(transcript)
    assets = []
    for key, body, mime in (
        (TEXT_KEY, text, "text/plain; charset=utf-8"),
        (JSON_KEY, document, "application/json"),
    ):
        size = ctx.outputs.put_bytes(key, body)
        assets.append(
            AssetOut(
                kind="transcript", key=key, mime_type=mime, bytes=size, language=transcript.language
            )
        )
    return assets


def plain_text(transcript: Transcript) -> str:
    """Paragraphs separated by a blank line; a speaker label where diarisation says who spoke."""
    if not transcript.segments:
        return transcript.text.strip() + "\n"
    diarised = any(s.speaker is not None for s in transcript.segments)
    paragraphs = []
    previous: int | None = None
    for segment in transcript.segments:
        text = segment.text.strip()
        if diarised and segment.speaker is not None and segment.speaker != previous:
            text = f"Speaker {segment.speaker + 1}: {text}"
            previous = segment.speaker
        paragraphs.append(text)
    return "\n\n".join(paragraphs) + "\n"
