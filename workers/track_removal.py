"""Taking an added audio track out: the live master is written again without it, then its
rendition, its recording, its jobs and its row go, and the CDN forgets the master."""

from __future__ import annotations

import logging

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import AddedTrack, Asset, Content, Job
from pipelines.context import StepResult, result_name
from pipelines.media.added_track import STEP, added_tracks_in, master_with_tracks, track_folder
from pipelines.media.hls import Variant
from pipelines.media.video import MASTER_KEY
from pipelines.storage import storage_from_settings
from settings import get_settings
from workers import messages
from workers.cdn_invalidation import request_invalidation
from workers.db import session_scope
from workers.outputs import generation_prefix

__all__ = ["remove_added_track"]

log = logging.getLogger(__name__)


def _live_results(session: Session, content_id: str, generation: int) -> dict[str, StepResult]:
    rows = session.execute(
        select(Job.step, Job.track, Job.result).where(
            Job.content_id == content_id,
            Job.generation == generation,
            Job.status == "succeeded",
        )
    ).all()
    return {
        result_name(row.step, row.track): msgspec.convert(row.result or {}, StepResult)
        for row in rows
    }


def _master_without(results: dict[str, StepResult], language: str) -> tuple[str, str] | None:
    """(master key, master text) of the generation without the `language` track; None when
    the generation has no video encode to list."""
    encode = results.get("encode_video")
    if encode is None or not encode.data.get("variants"):
        return None
    variants = msgspec.convert(encode.data["variants"], list[Variant])
    kept = [t for t in added_tracks_in(results) if t.language != language]
    captions = results.get("captions")
    subtitles = captions.data.get("subtitles") if captions is not None else None
    _, master = master_with_tracks(variants, kept, subtitles)
    return str(encode.data.get("master_key") or MASTER_KEY), master


def remove_added_track(content_id: str, language: str) -> None:
    """Remove the content's `language` track (marked `removing` by the API). Idempotent: a
    second run finds no row and does nothing."""
    storage = storage_from_settings(get_settings())
    invalidate: list[str] = []
    with session_scope() as session:
        # The content's lock: an add_audio_track success records under it, so none lands
        # between reading the live results and writing the master.
        content = session.scalars(
            select(Content).where(Content.id == content_id).with_for_update()
        ).first()
        track = session.scalars(
            select(AddedTrack).where(
                AddedTrack.content_id == content_id, AddedTrack.language == language
            )
        ).first()
        if content is None or track is None:
            return
        recording = track.source_key
        live = content.live_generation
        if live is not None:
            prefix = generation_prefix(content_id, live)
            master = _master_without(_live_results(session, content_id, live), language)
            if master is not None:
                key, text = master
                storage.scoped(prefix).put_bytes(key, text.encode())
                invalidate.append(f"/{prefix}/{key}")
            folder = f"{prefix}/hls/{track_folder(language)}/"
            session.execute(
                delete(Asset).where(Asset.content_id == content_id, Asset.key.startswith(folder))
            )
        track_jobs = (Job.content_id == content_id) & (Job.step == STEP) & (Job.track == language)
        generations = set(session.scalars(select(Job.generation).where(track_jobs)))
        session.execute(delete(Job).where(track_jobs))
        session.delete(track)
    # Objects after the rows: nothing lists the rendition any more when it goes.
    for generation in sorted(generations):
        prefix = generation_prefix(content_id, generation)
        storage.delete_prefix(f"{prefix}/hls/{track_folder(language)}/")
    storage.delete(recording)
    request_invalidation(invalidate, content_id)
    # Tracks added while this one was going wait for the removal: the orchestrator goes on.
    messages.send("advance", content_id)
    log.info("content %s: the %s track was removed", content_id, language)
