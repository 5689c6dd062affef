"""Storing what a step made: asset rows, and the facts some steps teach the content."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Asset, Content, Transcript
from pipelines.context import StepResult


def generation_prefix(content_id: str, generation: int) -> str:
    return f"media/{content_id}/g{generation}"


def store_assets(session: Session, content: Content, generation: int, result: StepResult) -> None:
    """Upsert an Asset row per output, by (content, generation, key): a rerun leaves one row."""
    prefix = generation_prefix(content.id, generation)
    existing = {
        a.key: a
        for a in session.scalars(
            select(Asset).where(Asset.content_id == content.id, Asset.generation == generation)
        )
    }
    for out in result.assets:
        key = f"{prefix}/{out.key}"
        row = existing.get(key) or Asset(content_id=content.id, generation=generation, key=key)
        row.kind = out.kind
        row.mime_type = out.mime_type
        row.bytes = out.bytes
        row.width = out.width
        row.height = out.height
        row.bitrate = out.bitrate
        row.language = out.language
        session.add(row)


def _store_probe(session: Session, content: Content, result: StepResult) -> None:
    content.probe = result.data.get("probe")
    content.media_type = result.data.get("media_type")
    content.duration = result.data.get("duration")


def _store_loudness(session: Session, content: Content, result: StepResult) -> None:
    if "loudness" in result.data:
        content.loudness = result.data["loudness"]


def _store_transcript(session: Session, content: Content, result: StepResult) -> None:
    data: dict[str, Any] = result.data
    if not data:
        return  # no provider configured: there is no transcript, not an empty one
    row = session.scalars(select(Transcript).where(Transcript.content_id == content.id)).first()
    if row is None:
        row = Transcript(content_id=content.id)
        session.add(row)
    row.generation = content.generation
    row.provider = str(data.get("provider", "none"))
    row.language = str(data.get("language") or content.language)
    row.text = str(data.get("text", ""))
    row.segments = list(data.get("segments", []))


def _queue_invalidation(session: Session, content: Content, result: StepResult) -> None:
    # Queued, not sent: workers.invalidation coalesces a window's paths into one request.
    from workers.invalidation import request_invalidation

    paths = list(result.data.get("paths", []))
    prefix = generation_prefix(content.id, content.generation)
    paths += [f"/{prefix}/{key}" for key in result.data.get("invalidate", [])]
    request_invalidation(paths, content.id)


STORE_HOOKS: dict[str, Callable[[Session, Content, StepResult], None]] = {
    "probe": _store_probe,
    "encode_audio": _store_loudness,
    "transcribe": _store_transcript,
    "invalidate_cdn": _queue_invalidation,
    "captions": _queue_invalidation,
}


def store_result(
    session: Session, content: Content, step: str, generation: int, result: StepResult
) -> None:
    store_assets(session, content, generation, result)
    hook = STORE_HOOKS.get(step)
    if hook is not None:
        hook(session, content, result)
