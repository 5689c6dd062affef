"""Who may see what: the one rule the API, the pages, the feeds and the agent all ask.

Owners and admins see everything of theirs (the API's guards decide who that is); everyone else
sees content that has a live generation, is published (its time has come) and public or unlisted.
A live generation, not the status: the status tells the creator about the latest attempt (a
reprocess running, a new source that failed), while listeners keep the generation that is live
until a newer one is ready. Unlisted
content is reachable by its id only: lists, search and feeds hold public content alone.
"""

from __future__ import annotations

from sqlalchemy import and_
from sqlalchemy.sql import ColumnElement

from models.base import utcnow
from models.content import Content


def visible_to_anyone(content: Content) -> bool:
    """Whether a listener without any claim on the content may open it by its id."""
    return (
        content.live_generation is not None
        and content.visibility in ("public", "unlisted")
        and content.published_at is not None
        and content.published_at <= utcnow()
    )


def listed() -> ColumnElement[bool]:
    """What a listener may find in lists and search: live, public and published."""
    return and_(
        Content.live_generation.is_not(None),
        Content.visibility == "public",
        Content.published_at.is_not(None),
        Content.published_at <= utcnow(),
    )
