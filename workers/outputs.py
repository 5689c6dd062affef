"""Storing what a step made: asset rows, the facts some steps teach the content, and the
job's success with them, in one transaction (`record_success`, the one writer of a success)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from models import Asset, Content, Transcript
from pipelines.context import StepResult
from pipelines.storage import content_type_for
from workers import jobs
from workers.added_tracks import keep_added_tracks
from workers.chunk_growth import grow_playlists
from workers.db import transaction
from workers.metrics import record_step
from workers.orchestrator import Outcome, advance_locked, lock_content


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
        row.mime_type = out.mime_type or content_type_for(out.key)
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
    # Queued, not sent: workers.cdn_invalidation coalesces a window's paths into one request.
    from workers.cdn_invalidation import request_invalidation

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
    "add_audio_track": keep_added_tracks,
}


def store_result(
    session: Session, content: Content, step: str, generation: int, result: StepResult
) -> None:
    store_assets(session, content, generation, result)
    hook = STORE_HOOKS.get(step)
    if hook is not None:
        hook(session, content, result)


def record_success(
    claim: jobs.Claim, step: str, generation: int, result: StepResult
) -> Outcome | None:
    """Outputs, the job's success and the plan's next steps in one transaction: a crash leaves
    all or none. None when the attempt no longer holds the job (cancelled, taken over)."""
    content_id = claim.content_id
    with transaction() as connection:
        content = lock_content(connection, content_id)
        if content is None:
            # Deleted: what the step wrote is gone already, removed when the step ended
            # (workers/gone_content.py) or by the delete itself if it committed after that.
            return None
        event = jobs.succeed(
            connection,
            claim,
            msgspec.to_builtins(result),
            result.cpu_seconds,
            result.media_seconds,
            result.skipped,
        )
        if event is None:
            return None  # the holder of the lease records the outcome
        if claim.chunk:
            prefix = generation_prefix(content_id, generation)
            grow_playlists(connection, content_id, step, generation, prefix)
        if stores_rows(step, result):
            store_in(connection, content_id, step, generation, result)
            content = lock_content(connection, content_id)  # with what the step taught it
        else:
            status = "skipped" if result.skipped else "succeeded"
            content = content.with_finished(step, status, claim.chunk)
        outcome = advance_locked(connection, content_id, content)
    jobs.announce(content_id, event)
    record_step(step, result.cpu_seconds, result.media_seconds)
    return outcome


def stores_rows(step: str, result: StepResult) -> bool:
    return bool(result.assets) or step in STORE_HOOKS


def store_in(
    connection: Connection, content_id: str, step: str, generation: int, result: StepResult
) -> None:
    """Store a step's outputs inside the caller's transaction (the ORM joins it)."""
    with Session(bind=connection) as session:
        content = session.get(Content, content_id)
        if content is None:
            raise jobs.JobGone(f"content {content_id} is gone")
        store_result(session, content, step, generation, result)
        session.flush()
