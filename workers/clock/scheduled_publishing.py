"""Scheduled publishing (a periodic task of the clock): content whose publish_at has come, and
which is ready, goes live; content still processing waits for the next tick."""

from __future__ import annotations

import logging

from sqlalchemy import select

from models import Content, utcnow
from settings import get_settings
from workers.db import session_scope
from workers.feed_paths import feed_paths, invalidate_now
from workers.pubsub import content_channel, publish

log = logging.getLogger(__name__)


def publish_due() -> list[str]:
    """Publish every playable content whose publish_at has passed; returns their ids. Idempotent."""
    now = utcnow()
    published: list[tuple[str, dict[str, object]]] = []
    series: set[str | None] = set()
    with session_scope() as session:
        due = session.scalars(
            select(Content)
            .where(
                Content.publish_at.is_not(None),
                Content.publish_at <= now,
                # A generation to play, as models.visibility: one being reprocessed has one.
                Content.live_generation.is_not(None),
            )
            .with_for_update(skip_locked=True)
        )
        for content in due:
            # The scheduled time is the published time: feeds order by it, not by the clock's tick.
            content.published_at = content.publish_at
            content.publish_at = None
            published.append((content.id, _event(content)))
            series.add(content.series_id)
    for series_id in series:
        _invalidate_feeds(series_id)
    for content_id, event in published:
        publish(content_channel(content_id), event)
        log.info("published %s on schedule", content_id)
    return [content_id for content_id, _ in published]


def _event(content: Content) -> dict[str, object]:
    return {
        "type": "content",
        "status": content.status,
        "visibility": content.visibility,
        "published_at": content.published_at.isoformat() if content.published_at else None,
        "publish_at": None,
    }


def _invalidate_feeds(series_id: str | None) -> None:
    try:
        invalidate_now(get_settings(), feed_paths(series_id))
    except Exception:
        log.exception("CDN invalidation of the feeds failed; they refresh when their cache expires")
