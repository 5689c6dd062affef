"""Who may see what: the one rule the API, the pages, the feeds and the agent all ask.

Owners and admins see everything of theirs (the API's guards decide who that is); everyone else
sees content that is ready, published (its time has come) and public or unlisted. Unlisted
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
        content.status == "ready"
        and content.visibility in ("public", "unlisted")
        and content.published_at is not None
        and content.published_at <= utcnow()
    )


def listed() -> ColumnElement[bool]:
    """What a listener may find in lists and search: ready, public and published."""
    return and_(
        Content.status == "ready",
        Content.visibility == "public",
        Content.published_at.is_not(None),
        Content.published_at <= utcnow(),
    )
