"""What the agent may know: public, published, ready sermons and public scheduled services.

Searches go through the catalog's own full-text search (models.catalog.search), so the agent finds
what a listener finds on the site and nothing else; a private, unlisted or unpublished sermon
looks exactly like one that does not exist. No LiveKit here: the tools in agent.assistant are
thin calls into these functions.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Content, LiveSession, Series, live_assets
from models.catalog.schemas import CatalogItem, CatalogQuery
from models.catalog.search import catalog_page
from models.scripture import ScriptureError, canonical_book, parse_reference
from models.visibility import listed
from pipelines.storage.delivery import public_url
from settings import Settings

# Titles people say before a name ("Pastor James") that catalogs rarely store with it.
_HONORIFICS = {
    "pastor",
    "pr",
    "rev",
    "reverend",
    "dr",
    "elder",
    "bishop",
    "brother",
    "sister",
    "father",
    "minister",
    "apostle",
    "prophet",
    "deacon",
}
_WORDS = re.compile(r"\w+", re.UNICODE)


class Passage(msgspec.Struct, kw_only=True):
    text: str
    start: float | None


class Sermon(msgspec.Struct, kw_only=True):
    """A sermon as a listener could see it in the catalog."""

    id: str
    title: str
    speaker: str
    series: str | None
    preached_on: date
    scripture: list[str]


class SermonHit(Sermon, kw_only=True):
    passage: Passage | None = None


class SermonDetails(Sermon, kw_only=True):
    duration: float | None
    link: str | None  # a plain CDN URL: public content only ever has one


class Service(msgspec.Struct, kw_only=True):
    title: str
    starts_at: datetime | None
    live_now: bool
    series: str | None


class SearchFilters(msgspec.Struct, kw_only=True, frozen=True):
    speaker: str | None = None
    series: str | None = None
    scripture: str | None = None
    since: date | None = None
    until: date | None = None


class UnknownFilter(LookupError):
    """A filter names no speaker, series or book of the Bible the library knows."""


async def search_sermons(
    db: AsyncSession, query: str, filters: SearchFilters | None = None, limit: int = 3
) -> list[SermonHit]:
    """The best matches of the catalog's full-text search (newest first with no words).

    UnknownFilter when a filter matches nothing: the agent can say which one.
    """
    filters = filters or SearchFilters()
    book, chapter = _scripture(filters.scripture)
    catalog_query = CatalogQuery(
        q=query.strip(),
        speaker=await _speaker(db, filters.speaker) if filters.speaker else None,
        series=await _series_id(db, filters.series) if filters.series else None,
        book=book,
        since=filters.since,
        until=filters.until,
        # A chapter is checked here, not by the catalog: fetch enough to still find `limit`.
        limit=limit if chapter is None else 50,
    )
    items = (await catalog_page(db, catalog_query)).items
    if chapter is not None:
        items = [item for item in items if _covers(item.scripture, book, chapter)]
    series = await _series_titles(db, {i.series_id for i in items[:limit] if i.series_id})
    return [_hit(item, series.get(item.series_id or "")) for item in items[:limit]]


async def sermon_details(
    db: AsyncSession, settings: Settings, sermon_id: str
) -> SermonDetails | None:
    """One listed sermon with its playback link; None for anything a listener may not see."""
    content = (
        await db.scalars(select(Content).where(Content.id == sermon_id.strip(), listed()))
    ).first()
    if content is None:
        return None
    series = await _series_titles(db, {content.series_id} if content.series_id else set())
    assert content.published_at is not None  # listed() guarantees it
    return SermonDetails(
        id=content.id,
        title=content.title,
        speaker=content.speaker,
        series=series.get(content.series_id or ""),
        preached_on=content.recorded_date or content.published_at.date(),
        scripture=_references(content.scripture or []),
        duration=content.duration,
        link=await _playback_link(db, settings, content),
    )


async def next_services(db: AsyncSession, now: datetime, limit: int = 3) -> list[Service]:
    """Public services live now, then the scheduled ones still ahead, soonest first."""
    statement = (
        select(LiveSession, Series.title)
        .outerjoin(Series, Series.id == LiveSession.series_id)
        .where(LiveSession.visibility == "public")
        .where(
            (LiveSession.status == "live")
            | ((LiveSession.status == "scheduled") & (LiveSession.scheduled_at >= now))
        )
        .order_by((LiveSession.status == "live").desc(), LiveSession.scheduled_at.asc())
        .limit(limit)
    )
    rows = (await db.execute(statement)).all()
    return [
        Service(
            title=session.title,
            starts_at=session.started_at if session.status == "live" else session.scheduled_at,
            live_now=session.status == "live",
            series=series,
        )
        for session, series in rows
    ]


def _scripture(reference: str | None) -> tuple[str | None, int | None]:
    """The book (and chapter, when one was said) of a spoken reference like "Psalm 23"."""
    if not reference or not reference.strip():
        return None, None
    try:
        ref = parse_reference(reference)[0]
    except ScriptureError:
        book = canonical_book(reference)
        if book is None:
            raise UnknownFilter(f"{reference!r} is not a book of the Bible") from None
        return book, None
    # "Psalm 23" narrows to its chapter; a whole book or a span of chapters to the book only.
    return ref.book, ref.chapter_start if ref.chapter_start == ref.chapter_end else None


def _covers(scripture: list[dict[str, object]], book: str | None, chapter: int) -> bool:
    for ref in scripture:
        if ref.get("book") != book:
            continue
        start, end = ref.get("chapter_start"), ref.get("chapter_end")
        if isinstance(start, int) and isinstance(end, int) and start <= chapter <= end:
            return True
    return False


async def _speaker(db: AsyncSession, spoken: str) -> str:
    """The speaker as the catalog spells it: every word said (titles aside) is in the name.

    When several listed speakers fit, the one who preached most recently is meant."""
    words = [w for w in _WORDS.findall(spoken.lower()) if w not in _HONORIFICS]
    words = words or _WORDS.findall(spoken.lower())
    statement = select(Content.speaker).where(listed())
    for word in words:
        statement = statement.where(func.lower(Content.speaker).contains(word, autoescape=True))
    statement = statement.order_by(Content.published_at.desc()).limit(1)
    speaker = (await db.scalars(statement)).first()
    if speaker is None:
        raise UnknownFilter(f"no sermons by {spoken!r} in the library")
    return speaker


async def _series_id(db: AsyncSession, spoken: str) -> str:
    """The series with that title (or the one whose title holds it) that has a listed sermon."""
    words = _WORDS.findall(spoken.lower())
    statement = select(Series.id).where(
        select(Content.id).where(Content.series_id == Series.id, listed()).exists()
    )
    for word in words:
        statement = statement.where(func.lower(Series.title).contains(word, autoescape=True))
    exact = (func.lower(Series.title) == spoken.strip().lower()).desc()
    series_id = (await db.scalars(statement.order_by(exact, Series.title).limit(1))).first()
    if series_id is None:
        raise UnknownFilter(f"no series called {spoken!r} in the library")
    return series_id


async def _series_titles(db: AsyncSession, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = await db.execute(select(Series.id, Series.title).where(Series.id.in_(ids)))
    return {series_id: title for series_id, title in rows}


def _references(scripture: list[dict[str, object]]) -> list[str]:
    return [str(ref["text"]) for ref in scripture if ref.get("text")]


def _hit(item: CatalogItem, series: str | None) -> SermonHit:
    passage = None
    if item.match is not None and item.match.source == "transcript":
        text = item.match.snippet.replace("<mark>", "").replace("</mark>", "")
        passage = Passage(text=text, start=item.match.start)
    return SermonHit(
        id=item.id,
        title=item.title,
        speaker=item.speaker,
        series=series,
        preached_on=item.recorded_date or item.published_at.date(),
        scripture=_references(item.scripture),
        passage=passage,
    )


async def _playback_link(db: AsyncSession, settings: Settings, content: Content) -> str | None:
    """Audio first (plays anywhere, on any phone), else the HLS master."""
    keys: dict[str, str] = {}
    for asset in await live_assets(db, content):
        keys.setdefault(asset.kind, asset.key)
    key = keys.get("mp3") or keys.get("hls_master")
    return public_url(settings, key) if key else None
