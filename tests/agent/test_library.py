"""agent.library's filters against the real database: how spoken names find catalog values."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from agent.library import SearchFilters, UnknownFilter, search_sermons
from models import async_session_factory, make_async_engine
from settings import get_settings
from tests.agent.conftest import Library

T = TypeVar("T")


def _with_db(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = make_async_engine(get_settings().async_database_url)
        try:
            async with async_session_factory(engine)() as db:
                return await work(db)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _titles(query: str, **filters: str) -> list[str]:
    async def search(db: AsyncSession) -> list[str]:
        hits = await search_sermons(db, query, SearchFilters(**filters), limit=10)  # type: ignore[arg-type]
        return sorted(hit.title for hit in hits)

    return _with_db(search)


def test_scripture_narrows_to_the_book_and_to_the_chapter_when_one_is_said(
    library: Library,
) -> None:
    assert _titles("", scripture="Psalm 23") == ["The Good Shepherd"]
    assert _titles("", scripture="Ps 23:1") == ["The Good Shepherd"]
    assert _titles("", scripture="Psalm 1") == []
    assert _titles("", scripture="Luke") == ["Forgiven Much"]
    assert _titles("forgiveness", scripture="Matthew 18") == ["Seventy Times Seven"]


def test_speakers_and_series_are_found_by_the_words_people_say(library: Library) -> None:
    assert _titles("forgiveness", speaker="Pastor Ruth") == ["Seventy Times Seven"]
    assert _titles("", speaker="james") == ["Forgiven Much", "The Good Shepherd"]
    assert _titles("", series="psalms") == ["The Good Shepherd"]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"speaker": "Bishop Nobody"}, "no sermons by 'Bishop Nobody' in the library"),
        ({"series": "Acts Alive"}, "no series called 'Acts Alive' in the library"),
        ({"scripture": "Hezekiah 3"}, "'Hezekiah 3' is not a book of the Bible"),
    ],
)
def test_a_filter_that_matches_nothing_says_which(
    library: Library, filters: dict[str, str], message: str
) -> None:
    with pytest.raises(UnknownFilter, match=message):
        _titles("", **filters)
