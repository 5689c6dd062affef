"""Publishing rules: only ready content goes public (the clock's scheduled_publishing honours
the schedules)."""

from __future__ import annotations

import logging
from datetime import datetime

import anyio
from redis.exceptions import RedisError

from api.errors import Conflict, lost_redis
from models import Content, utcnow
from workers.pubsub import content_channel, publish

log = logging.getLogger(__name__)


def publish_now(content: Content, visibility: str, when: datetime | None = None) -> None:
    """Publish a content that has a generation to play: one being reprocessed keeps its live one.
    Publishing what is already published keeps its date (feeds order by it; podcast apps would
    list it as new)."""
    if content.live_generation is None:
        raise Conflict(
            f"the content is {content.status}; only ready content can be published "
            "(schedule it with publish_at to publish it once it is ready)"
        )
    content.visibility = visibility
    if content.published_at is None:
        content.published_at = when or utcnow()
    content.publish_at = None


def schedule(content: Content, visibility: str, publish_at: datetime) -> None:
    """Published by the clock at `publish_at`, once the content is ready; hidden until then."""
    content.visibility = visibility
    content.publish_at = publish_at
    content.published_at = None


def unpublish(content: Content) -> None:
    content.published_at = None
    content.publish_at = None


def publication_event(content: Content) -> dict[str, object]:
    return {
        "type": "content",
        "status": content.status,
        "visibility": content.visibility,
        "published_at": content.published_at.isoformat() if content.published_at else None,
        "publish_at": content.publish_at.isoformat() if content.publish_at else None,
    }


async def announce(content: Content) -> None:
    """Creators watching the upload page see the change on the content's event stream.

    Sent after the change is committed: with Redis down the change stands and the request
    succeeds; watchers miss one live update and read the state on their next load."""
    try:
        await anyio.to_thread.run_sync(
            publish, content_channel(content.id), publication_event(content)
        )
    except RedisError as exc:
        if not lost_redis(exc):
            raise
        log.warning("publication of %s not announced: %s", content.id, exc)
