"""Live services in the workers: start a session's recording through LiveKit, and turn the
finished recording into library content."""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Content, LiveSession, utcnow
from pipelines.live.errors import LiveKitError
from pipelines.live.livekit import start_room_recording
from pipelines.storage import storage_from_settings
from pipelines.storage.errors import ObjectMissing
from settings import get_settings
from workers.db import session_scope
from workers.live_events import EGRESS_RUNNING, publish_change, session_event
from workers.orchestrator import advance_content, start_generation

log = logging.getLogger(__name__)

START_ATTEMPTS = 3


def _lock(db: Session, session_id: str) -> LiveSession | None:
    query = select(LiveSession).where(LiveSession.id == session_id).with_for_update()
    return db.scalars(query).first()


def recording_path(session: LiveSession) -> str:
    """Where the egress writes the recording in our bucket (LiveKit fills in `{utc}`)."""
    return f"recordings/{session.id}/{{utc}}.mp4"


def start_egress(session_id: str) -> None:
    """Start recording a live session through LiveKit's Egress API, once.

    LiveKit's failures are caught and shown on the session (an admin retries them); the actor's
    retries are for the database or Redis failing under us, and are safe: the row lock and the
    egress status make a second run start nothing twice."""
    settings = get_settings()
    event = None
    with session_scope() as db:
        # The row stays locked during the call: a webhook's or an admin's second request waits
        # and then sees the egress this one started.
        session = _lock(db, session_id)
        if session is None or session.status != "live" or not session.record:
            return
        if session.egress_status in EGRESS_RUNNING:
            return
        try:
            session.egress_id = _start_with_retries(settings, session)
            session.egress_status, session.egress_error = "starting", None
            event = session_event(session, "recording_started")
        except LiveKitError as exc:
            log.warning("recording of live session %s did not start: %s", session_id, exc)
            session.egress_status, session.egress_error = "failed", str(exc)
            event = session_event(session, "recording_failed", error=str(exc))
    publish_change(event)


def _start_with_retries(settings, session: LiveSession) -> str:  # type: ignore[no-untyped-def]
    for attempt in range(START_ATTEMPTS):
        try:
            return asyncio.run(
                start_room_recording(settings, session.room_name, recording_path(session))
            )
        except LiveKitError as exc:
            if not exc.transient or attempt + 1 == START_ATTEMPTS:
                raise
            time.sleep(2**attempt)
    raise AssertionError("unreachable")


def ingest_recording(session_id: str, egress_id: str) -> None:
    """Make the session's finished recording a content and start its plan. Once per session:
    a repeated egress_ended finds the content already linked and creates nothing."""
    with session_scope() as db:
        session = _lock(db, session_id)
        if session is None or session.content_id is not None or not session.recording_key:
            return
        event, content_id = _ingest(db, session, egress_id)
    publish_change(event)
    if content_id is not None:
        log.info(
            "live session %s recorded as content %s (egress %s)", session_id, content_id, egress_id
        )
        advance_content(content_id)


def _ingest(
    db: Session, session: LiveSession, egress_id: str
) -> tuple[dict[str, object], str | None]:
    """Link a new recording content to the locked session; a missing file fails the recording
    (StorageUnavailable propagates: Dramatiq retries it)."""
    assert session.recording_key is not None
    try:
        size = storage_from_settings(get_settings()).size(session.recording_key)
    except ObjectMissing:
        session.egress_status = "failed"
        session.egress_error = (
            f"egress {egress_id} reported {session.recording_key}, not in the bucket"
        )
        return session_event(session, "recording_failed", error=session.egress_error), None
    content = recording_content(session, size)
    db.add(content)
    db.flush()
    session.content_id = content.id
    session.egress_error = None
    start_generation(db, content)
    return session_event(session, "recording_ingested", content_id=content.id), content.id


def recording_content(session: LiveSession, size: int) -> Content:
    """The library entry of a recorded service: its title, series and date come from the
    session. A public service's recording is published by the clock once it is ready."""
    recorded = session.started_at or session.scheduled_at or utcnow()
    listed = session.visibility in ("public", "unlisted")
    return Content(
        owner_id=session.owner_id,
        kind="recording",
        title=session.title,
        series_id=session.series_id,
        recorded_date=recorded.date(),
        visibility=session.visibility if listed else "private",
        publish_at=(session.ended_at or utcnow()) if listed else None,
        source_key=session.recording_key,
        source_bytes=size,
        status="processing",
    )
