"""What the listeners' pages show, asked of the same services the JSON API uses: the catalog's
search (models.catalog), who may see a content (api.content.service.visible_to through
load_content), its playback URLs (api.content.playback) and the live sessions a caller may see
(api.live.service). Nothing here decides visibility itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.content.playback import playback_for
from api.content.schemas import PlaybackOut
from api.content.service import load_content
from api.live.chat_schemas import ChatMessageOut
from api.live.chat_service import history, replayed
from api.live.service import listed_for
from models import Content, LiveSession, Series, Transcript, utcnow
from models.catalog.schemas import CatalogPage, CatalogQuery
from models.catalog.search import catalog_page
from models.errors import DataError
from models.scripture import canonical_book
from settings import Settings

# A service's chat beside its recording: a long, busy one shows its first messages.
CHAT_REPLAY_MAX = 2000

PAGE_SIZE = 20


class LibraryFilters(msgspec.Struct, kw_only=True):
    """The library's query string, as a form sends it (empty fields mean no filter)."""

    q: str = ""
    series: str = ""
    speaker: str = ""
    book: str = ""
    tag: str = ""
    since: str = ""
    until: str = ""
    cursor: str = ""

    def query_string(self, **changes: str) -> str:
        from urllib.parse import urlencode

        values = {**msgspec.structs.asdict(self), **changes}
        return urlencode({k: v for k, v in values.items() if v})


class LibraryResult(msgspec.Struct, kw_only=True):
    page: CatalogPage
    problems: list[str]


def _day(text: str, name: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"{name} is not a date (use YYYY-MM-DD)")
        return None


async def library(db: AsyncSession, filters: LibraryFilters) -> LibraryResult:
    """A page of the catalog; a filter it cannot read is named, not a failure."""
    problems: list[str] = []
    book = None
    if filters.book:
        book = canonical_book(filters.book)
        if book is None:
            problems.append(f"{filters.book!r} is not a book of the Bible")
    query = CatalogQuery(
        q=filters.q[:200],
        series=filters.series or None,
        speaker=filters.speaker or None,
        book=book,
        tag=filters.tag or None,
        since=_day(filters.since, "since", problems),
        until=_day(filters.until, "until", problems),
        limit=PAGE_SIZE,
        cursor=filters.cursor or None,
    )
    try:
        page = await catalog_page(db, query)
    except DataError as exc:  # a cursor from elsewhere: start again
        problems.append(str(exc))
        page = await catalog_page(db, msgspec.structs.replace(query, cursor=None))
    return LibraryResult(page=page, problems=problems)


async def series_titles(db: AsyncSession) -> dict[str, str]:
    rows = await db.execute(select(Series.id, Series.title).order_by(Series.title).limit(500))
    return {series_id: title for series_id, title in rows}


@dataclass
class PlayerData:
    content: Content
    playback: PlaybackOut | None
    segments: list[dict[str, Any]]
    series: Series | None
    # A live service's recording: its chat, each message at its second in the recording.
    chat: list[ChatMessageOut] = field(default_factory=list)


async def player(
    db: AsyncSession, settings: Settings, content_id: str, user: AuthUser | None
) -> PlayerData:
    """The content if the caller may see it (else api.errors.NotFound, as the API answers)."""
    content = await load_content(db, content_id, user)
    playback = None
    segments: list[dict[str, Any]] = []
    if content.live_generation is not None:
        playback = await playback_for(db, settings, content)
        transcript = (
            await db.scalars(
                select(Transcript).where(
                    Transcript.content_id == content.id,
                    Transcript.generation == content.live_generation,
                )
            )
        ).first()
        segments = list(transcript.segments or []) if transcript else []
    series = await db.get(Series, content.series_id) if content.series_id else None
    chat = await recording_chat(db, content) if playback is not None else []
    return PlayerData(
        content=content, playback=playback, segments=segments, series=series, chat=chat
    )


async def recording_chat(db: AsyncSession, content: Content) -> list[ChatMessageOut]:
    """The chat of the service this content records (none for other content)."""
    session = await db.scalar(select(LiveSession).where(LiveSession.content_id == content.id))
    if session is None:
        return []
    rows, _ = await history(db, session.id, limit=CHAT_REPLAY_MAX, cursor=None, with_removed=False)
    return [item for item in replayed(rows, session, content) if item.at_s is not None]


async def next_service(db: AsyncSession, user: AuthUser | None) -> LiveSession | None:
    """The service live now, else the next one scheduled, of those the caller may see."""
    sessions = listed_for(user).where(LiveSession.status.in_(("live", "scheduled")))
    live = (await db.scalars(sessions.where(LiveSession.status == "live"))).first()
    if live is not None:
        return live
    upcoming = sessions.where(LiveSession.scheduled_at >= utcnow()).order_by(None)
    return (await db.scalars(upcoming.order_by(LiveSession.scheduled_at).limit(1))).first()


async def series_with_sermons(
    db: AsyncSession, series_id: str
) -> tuple[Series | None, CatalogPage]:
    series = await db.get(Series, series_id)
    if series is None:
        return None, CatalogPage(items=[], next_cursor=None)
    page = await catalog_page(db, CatalogQuery(series=series_id, limit=50))
    return series, page
