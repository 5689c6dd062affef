"""Query and response bodies of the catalog."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec


class CatalogQuery(msgspec.Struct, frozen=True, kw_only=True):
    """The catalog's filters, validated once at the edge."""

    q: str = ""
    series: str | None = None
    speaker: str | None = None
    book: str | None = None  # canonical, e.g. "1 Corinthians"
    tag: str | None = None
    since: date | None = None
    until: date | None = None
    limit: int = 20
    cursor: str | None = None


class Match(msgspec.Struct, kw_only=True):
    """Where the search terms were found; `start`/`end` (seconds) let a player jump there."""

    snippet: Annotated[
        str, msgspec.Meta(examples=["…the <mark>lost sheep</mark> is carried home…"])
    ]
    source: Annotated[str, msgspec.Meta(examples=["transcript"])]
    start: float | None = None
    end: float | None = None


class CatalogItem(msgspec.Struct, kw_only=True):
    id: str
    title: str
    description: str
    speaker: str
    series_id: str | None
    kind: str
    scripture: list[dict[str, Any]]
    tags: list[str]
    language: str
    recorded_date: date | None
    published_at: datetime
    media_type: str | None
    duration: float | None
    rank: float | None = None
    match: Match | None = None


class CatalogPage(msgspec.Struct, kw_only=True):
    items: list[CatalogItem]
    next_cursor: Annotated[
        str | None, msgspec.Meta(description="Pass as `cursor` for the next page")
    ]
