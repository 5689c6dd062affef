"""LiveKit webhooks: verified, applied to their session once, and turned into follow-up work.

LiveKit signs each call: `Authorization: <JWT>` (no "Bearer") signed with our API key/secret,
whose `sha256` claim is the SHA-256 of the exact body. It retries until it gets a 2xx and may
deliver out of order, so each event is applied once (its id is a primary key) and a stale
event never moves a session backwards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlparse

from livekit import api
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import ApiError, ServiceUnavailable
from models import LiveEvent, LiveSession, utcnow
from pipelines.live.livekit import is_configured
from pipelines.storage import check_key
from settings import Settings
from workers.live_events import RECORDING, session_event

log = logging.getLogger(__name__)

EGRESS_FINAL = frozenset({"complete", "failed", "aborted", "limit_reached"})
# Recorders and agents join rooms as participants too; the count is of people.
NOT_PEOPLE = frozenset({api.ParticipantInfo.Kind.EGRESS, api.ParticipantInfo.Kind.AGENT})


class InvalidSignature(ApiError):
    status_code = 401
    code = "invalid_signature"


@dataclass
class Applied:
    """What an event changed (published after commit) and the work it calls for."""

    event: dict[str, object] | None = None
    start_egress: bool = False
    ingest_egress_id: str | None = None
    notes: list[str] = field(default_factory=list)


def verify(settings: Settings, body: bytes, authorization: str) -> api.WebhookEvent:
    """The event, if LiveKit signed this exact body with our key; InvalidSignature otherwise."""
    if not is_configured(settings):
        raise ServiceUnavailable("live services are not configured (LIVEKIT_API_KEY/SECRET)")
    if not authorization:
        raise InvalidSignature("the webhook is not signed")
    receiver = api.WebhookReceiver(
        api.TokenVerifier(settings.livekit_api_key, settings.livekit_api_secret)
    )
    try:
        event = receiver.receive(body.decode("utf-8"), authorization)
    except Exception as exc:  # noqa: BLE001 - jwt errors, "hash mismatch", bad JSON: all refused
        log.warning("refused a LiveKit webhook: %s", exc)
        raise InvalidSignature("the webhook's signature does not match its body") from None
    if not event.id:
        raise InvalidSignature("the webhook has no event id")
    return event


def _room_of(event: api.WebhookEvent) -> str:
    return event.room.name or event.egress_info.room_name


def _when(event: api.WebhookEvent) -> datetime:
    return datetime.fromtimestamp(event.created_at, UTC) if event.created_at else utcnow()


async def apply_event(db: AsyncSession, event: api.WebhookEvent) -> Applied | None:
    """Apply one event to its session (caller commits); None when it was seen before."""
    room = _room_of(event)
    query = select(LiveSession).where(LiveSession.room_name == room).with_for_update()
    session = (await db.scalars(query)).first() if room else None
    try:
        async with db.begin_nested():
            db.add(
                LiveEvent(
                    id=event.id, session_id=session.id if session else None, event=event.event
                )
            )
    except IntegrityError:
        return None
    if session is None:
        return Applied(notes=[f"no session for room {room!r}"])
    apply = APPLIERS.get(event.event)
    if apply is None:
        return Applied(notes=[f"{event.event} changes nothing"])
    return apply(session, event)


def room_started(session: LiveSession, event: api.WebhookEvent) -> Applied:
    when = _when(event)
    if session.status == "ended" and session.ended_at and when <= session.ended_at:
        return Applied(notes=["room_started older than room_finished"])
    restarted = session.status == "ended"
    session.status = "live"
    session.started_at = session.started_at or when
    session.ended_at = None
    if restarted or session.participant_count < 0:
        session.participant_count = 0
    wants_egress = session.record and session.egress_status not in RECORDING
    if wants_egress:
        session.egress_status, session.egress_error = "requested", None
    return Applied(session_event(session, "room_started"), start_egress=wants_egress)


def room_finished(session: LiveSession, event: api.WebhookEvent) -> Applied:
    when = _when(event)
    if session.started_at and when < session.started_at:
        return Applied(notes=["room_finished older than room_started"])
    session.status = "ended"
    session.ended_at = when
    session.participant_count = 0
    return Applied(session_event(session, "room_finished"))


def _participant(event: api.WebhookEvent) -> dict[str, object]:
    p = event.participant
    return {"identity": p.identity, "name": p.name, "kind": api.ParticipantInfo.Kind.Name(p.kind)}


def participant_joined(session: LiveSession, event: api.WebhookEvent) -> Applied:
    if event.participant.kind not in NOT_PEOPLE:
        session.participant_count += 1
    return Applied(session_event(session, "participant_joined", participant=_participant(event)))


def participant_left(session: LiveSession, event: api.WebhookEvent) -> Applied:
    if event.participant.kind not in NOT_PEOPLE:
        # Out-of-order delivery can bring a "left" before its "joined": never below zero.
        session.participant_count = max(0, session.participant_count - 1)
    return Applied(session_event(session, "participant_left", participant=_participant(event)))


def track_published(session: LiveSession, event: api.WebhookEvent) -> Applied:
    track = {
        "sid": event.track.sid,
        "type": api.TrackType.Name(event.track.type),
        "source": api.TrackSource.Name(event.track.source),
        "participant": event.participant.identity,
    }
    return Applied(session_event(session, "track_published", track=track))


def egress_status_name(info: api.EgressInfo) -> str:
    return api.EgressStatus.Name(info.status).removeprefix("EGRESS_").lower()


def egress_changed(session: LiveSession, event: api.WebhookEvent) -> Applied:
    info = event.egress_info
    same = session.egress_id == info.egress_id
    if same and session.egress_status in EGRESS_FINAL:
        return Applied(notes=[f"{event.event} after the egress ended"])
    session.egress_id = info.egress_id
    session.egress_status = egress_status_name(info)
    return Applied(session_event(session, event.event, egress_id=info.egress_id))


def egress_ended(session: LiveSession, event: api.WebhookEvent) -> Applied:
    info = event.egress_info
    session.egress_id = info.egress_id
    session.egress_status = egress_status_name(info)
    key = recording_key(session, info)
    if key is not None:
        # LIMIT_REACHED still wrote a file: the service up to the limit is worth keeping.
        session.recording_key = key
        session.recording_started_at = recording_start(info)
        session.egress_error = None
        ingest = info.egress_id if session.content_id is None else None
        return Applied(
            session_event(session, "egress_ended", egress_id=info.egress_id),
            ingest_egress_id=ingest,
        )
    session.egress_error = info.error or f"the recording ended as {session.egress_status}"
    return Applied(
        session_event(session, "egress_ended", egress_id=info.egress_id, error=session.egress_error)
    )


def recording_start(info: api.EgressInfo) -> datetime | None:
    """When the file's first frame was taken (LiveKit gives nanoseconds since the epoch): the
    clock chat replay lines messages up against."""
    started = next((r.started_at for r in info.file_results if r.started_at), 0) or info.started_at
    return datetime.fromtimestamp(started / 1e9, UTC) if started else None


def recording_key(session: LiveSession, info: api.EgressInfo) -> str | None:
    """The recording's object key in our bucket, if the egress wrote one where we asked."""
    if info.status not in (api.EgressStatus.EGRESS_COMPLETE, api.EgressStatus.EGRESS_LIMIT_REACHED):
        return None
    prefix = f"recordings/{session.id}/"
    for result in info.file_results:
        # `filename` is the filepath we asked for, templates filled; `location` its URL
        # (path-style `/bucket/key` on custom endpoints, `/key` on AWS's virtual hosts).
        candidates = [result.filename.lstrip("/"), urlparse(result.location).path.lstrip("/")]
        for candidate in candidates:
            index = candidate.find(prefix)
            if index >= 0:
                try:
                    return check_key(candidate[index:])
                except ValueError:
                    continue
    return None


APPLIERS = {
    "room_started": room_started,
    "room_finished": room_finished,
    "participant_joined": participant_joined,
    "participant_left": participant_left,
    "track_published": track_published,
    "egress_started": egress_changed,
    "egress_updated": egress_changed,
    "egress_ended": egress_ended,
}
