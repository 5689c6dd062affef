"""Added audio tracks whose removal never finished: the creator's DELETE marked the track
`removing` and sent `remove_audio_track`, but the message was lost (Redis down when it was sent)
or spent its retries (storage away). Sent again, so a track never stays `removing` and blocks
new ones waiting for an operator. The removal is idempotent. Periodic (`cnt clock`)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from models import AddedTrack, utcnow
from workers import messages
from workers.db import session_scope

__all__ = ["RESEND_AFTER_S", "resend_track_removals"]

log = logging.getLogger(__name__)

# Longer than a removal takes when its message is delivered: rewriting one master.
RESEND_AFTER_S = 120


def resend_track_removals() -> int:
    """Send `remove_audio_track` again for tracks removing longer than RESEND_AFTER_S; returns
    how many. Each resend restarts the track's wait, so a slow queue is not flooded."""
    now = utcnow()
    with session_scope() as session:
        stuck = session.scalars(
            select(AddedTrack).where(
                AddedTrack.status == "removing",
                AddedTrack.updated_at <= now - timedelta(seconds=RESEND_AFTER_S),
            )
        ).all()
        for track in stuck:
            track.updated_at = now
        pending = [(track.content_id, track.language) for track in stuck]
    for content_id, language in pending:
        messages.send("remove_audio_track", content_id, language)
    if pending:
        log.info("sent %d unfinished track removals again", len(pending))
    return len(pending)
