"""Sermon rows as processing would leave them (ready, with an MP3 asset and a transcript), for
tests of what listeners see; no encode is needed to test a catalog or a feed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from models import Asset, Content, Series, Transcript, utcnow
from workers.db import session_scope


def make_series(owner_id: str, **fields: Any) -> str:
    with session_scope() as session:
        series = Series(owner_id=owner_id, title=fields.pop("title", "Sunday Mornings"), **fields)
        session.add(series)
        session.flush()
        return series.id


def make_sermon(
    owner_id: str,
    *,
    title: str = "The Good Shepherd",
    published: bool = True,
    visibility: str = "public",
    status: str = "ready",
    published_at: datetime | None = None,
    segments: list[dict[str, Any]] | None = None,
    mp3_bytes: int = 48_000,
    **fields: Any,
) -> str:
    """A ready sermon with generation 1 live; `segments` become its transcript."""
    with session_scope() as session:
        content = Content(
            owner_id=owner_id,
            title=title,
            status=status,
            visibility=visibility,
            published_at=(published_at or utcnow() - timedelta(minutes=5)) if published else None,
            media_type="audio",
            duration=fields.pop("duration", 1800.0),
            generation=1,
            live_generation=1 if status == "ready" else None,
            recorded_date=fields.pop("recorded_date", date(2026, 11, 22)),
            **fields,
        )
        session.add(content)
        session.flush()
        session.add(
            Asset(
                content_id=content.id,
                generation=1,
                kind="mp3",
                key=f"media/{content.id}/g1/audio.mp3",
                mime_type="audio/mpeg",
                bytes=mp3_bytes,
            )
        )
        if segments is not None:
            session.add(
                Transcript(
                    content_id=content.id,
                    generation=1,
                    provider="test",
                    text=" ".join(s["text"] for s in segments),
                    segments=segments,
                )
            )
            session.add(
                Asset(
                    content_id=content.id,
                    generation=1,
                    kind="captions",
                    key=f"media/{content.id}/g1/captions/en.vtt",
                    mime_type="text/vtt",
                    bytes=100,
                    language="en",
                )
            )
        return content.id
