"""What the agent knows: public sermons found by words of their title, speaker or transcript."""

from __future__ import annotations

from datetime import date

import msgspec
from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Content, Series, Transcript


class Passage(msgspec.Struct):
    text: str
    start: float


class LibraryItem(msgspec.Struct):
    """A sermon as the agent may speak of it: only what a listener could see in the catalog."""

    id: str
    title: str
    speaker: str
    series: str | None
    recorded_date: date | None
    duration_minutes: int | None
    passage: Passage | None = None


def _listed() -> Select[tuple[Content, str | None]]:
    return (
        select(Content, Series.title)
        .outerjoin(Series, Series.id == Content.series_id)
        .where(
            Content.status == "ready",
            Content.visibility == "public",
            Content.published_at.is_not(None),
        )
    )


def _passage(segments: list[dict[str, object]], words: list[str]) -> Passage | None:
    for segment in segments:
        text = str(segment.get("text", ""))
        if any(word in text.lower() for word in words):
            return Passage(text=text, start=float(segment.get("start", 0.0)))  # type: ignore[arg-type]
    return None


def _item(content: Content, series: str | None, passage: Passage | None = None) -> LibraryItem:
    minutes = round(content.duration / 60) if content.duration else None
    return LibraryItem(
        id=content.id,
        title=content.title,
        speaker=content.speaker,
        series=series,
        recorded_date=content.recorded_date,
        duration_minutes=minutes,
        passage=passage,
    )


async def search_library(session: AsyncSession, query: str, limit: int = 5) -> list[LibraryItem]:
    """Sermons whose title, speaker, series or transcript mention every word of the query."""
    words = [w.lower() for w in query.split() if len(w) > 2][:8]
    if not words:
        return []
    statement = (
        _listed()
        .outerjoin(Transcript, Transcript.content_id == Content.id)
        .add_columns(Transcript.segments)
    )
    for word in words:
        pattern = f"%{word}%"
        statement = statement.where(
            or_(
                func.lower(Content.title).like(pattern),
                func.lower(Content.speaker).like(pattern),
                func.lower(Content.description).like(pattern),
                func.lower(func.coalesce(Series.title, "")).like(pattern),
                func.lower(func.coalesce(Transcript.text, "")).like(pattern),
            )
        )
    rows = (
        await session.execute(statement.order_by(Content.published_at.desc()).limit(limit))
    ).all()
    return [
        _item(content, series, _passage(segments or [], words))
        for content, series, segments in rows
    ]


async def latest_sermons(session: AsyncSession, limit: int = 5) -> list[LibraryItem]:
    rows = (
        await session.execute(_listed().order_by(Content.published_at.desc()).limit(limit))
    ).all()
    return [_item(content, series) for content, series in rows]
