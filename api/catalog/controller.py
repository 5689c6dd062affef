"""GET /catalog: published public content, filtered, searched and paginated by cursor."""

from __future__ import annotations

from datetime import date

from litestar import Controller, get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import InvalidInput
from models.catalog.schemas import CatalogPage, CatalogQuery
from models.catalog.search import catalog_page
from models.scripture import canonical_book

MAX_LIMIT = 50
# The catalog shows public content only, the same to every caller: a CDN may keep a page briefly
# (publishing shows within this many seconds), and the origin serves far fewer requests.
CATALOG_CACHE = CacheControlHeader(public=True, max_age=15)


class CatalogController(Controller):
    path = "/catalog"
    tags = ["catalog"]

    @get(
        "/",
        cache_control=CATALOG_CACHE,
        opt={"response_cache": True},  # api/response_cache: the same page for every caller
        summary="Published sermons: filter, search (incl. transcripts), paginate",
        description=(
            "`q` searches titles, descriptions, speakers and transcripts, best match first; each "
            "item's `match` holds the passage and, for transcripts, its `start` second. `book` is "
            "a Bible book in any common spelling ('1 Cor', 'Psalm'). `since`/`until` bound the "
            f"day it was preached. `limit` is 1-{MAX_LIMIT}; pass `next_cursor` as `cursor`."
        ),
    )
    async def catalog(
        self,
        db: NamedDependency[AsyncSession],
        q: FromQuery[str] = "",
        series: FromQuery[str | None] = None,
        speaker: FromQuery[str | None] = None,
        book: FromQuery[str | None] = None,
        tag: FromQuery[str | None] = None,
        since: FromQuery[date | None] = None,
        until: FromQuery[date | None] = None,
        limit: FromQuery[int] = 20,
        cursor: FromQuery[str | None] = None,
    ) -> CatalogPage:
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit is between 1 and {MAX_LIMIT}")
        if len(q) > 200:
            raise InvalidInput("q is at most 200 characters")
        canonical = None
        if book:
            canonical = canonical_book(book)
            if canonical is None:
                raise InvalidInput(f"{book!r} is not a book of the Bible")
        query = CatalogQuery(
            q=q,
            series=series,
            speaker=speaker,
            book=canonical,
            tag=tag,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
        )
        return await catalog_page(db, query)
