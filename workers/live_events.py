"""The events of a live session on `live:{id}`: what changed, and the session as it now is.

Shared by the API (webhooks) and the workers (recording); importing it declares no actor.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from models import LiveSession
from workers.pubsub import live_channel, publish

# An egress in one of these states is recording, or has been asked for: starting another would
# record the service twice. "requested" is ours (a start_egress message is on its way); the
# others are LiveKit's.
RECORDING = frozenset({"requested", "starting", "active"})
EGRESS_RUNNING = frozenset({"starting", "active"})


class SessionState(msgspec.Struct, kw_only=True):
    """A live session as clients see it: the API's response body and every event's `session`."""

    id: str
    owner_id: str
    title: str
    room_name: str
    series_id: str | None
    visibility: str
    record: bool
    status: str
    scheduled_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    participant_count: int
    egress_id: str | None
    egress_status: str | None
    egress_error: str | None
    content_id: str | None
    created_at: datetime


def session_state(session: LiveSession) -> SessionState:
    return SessionState(
        id=session.id,
        owner_id=session.owner_id,
        title=session.title,
        room_name=session.room_name,
        series_id=session.series_id,
        visibility=session.visibility,
        record=session.record,
        status=session.status,
        scheduled_at=session.scheduled_at,
        started_at=session.started_at,
        ended_at=session.ended_at,
        participant_count=session.participant_count,
        egress_id=session.egress_id,
        egress_status=session.egress_status,
        egress_error=session.egress_error,
        content_id=session.content_id,
        created_at=session.created_at,
    )


def session_event(session: LiveSession, change: str, **detail: object) -> dict[str, object]:
    """One event of `live:{id}`: what happened (`type`) and the session as it now is."""
    return {"type": change, "session": msgspec.to_builtins(session_state(session)), **detail}


def publish_change(event: dict[str, object]) -> int:
    session = event["session"]
    assert isinstance(session, dict)
    return publish(live_channel(str(session["id"])), event)
