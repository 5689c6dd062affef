"""A content as a card: what lists of other things (playlists, continue listening, favourites,
posts linking a sermon) show of it, without its jobs, assets or owner-only fields."""

from __future__ import annotations

from datetime import datetime

import msgspec

from models import Content


class ContentCard(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    title: str
    speaker: str
    series_id: str | None
    media_type: str | None
    duration: float | None
    status: str
    visibility: str
    published_at: datetime | None


def content_card(content: Content) -> ContentCard:
    return ContentCard(
        id=content.id,
        kind=content.kind,
        title=content.title,
        speaker=content.speaker,
        series_id=content.series_id,
        media_type=content.media_type,
        duration=content.duration,
        status=content.status,
        visibility=content.visibility,
        published_at=content.published_at,
    )
