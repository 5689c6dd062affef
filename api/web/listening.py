"""The listeners' pages: home, the library, the player, a series. No account needed for public
content; a private or unpublished sermon is a 404 to anyone but its owner and admins, as on the
API (the same load_content)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.errors import NotFound
from api.series.controller import series_out
from api.web import library, my_listening
from api.web.sermon_comments import sermon_comments
from api.web.templating import page
from models.catalog.schemas import CatalogQuery
from models.catalog.search import catalog_page
from settings import Settings


class ListeningPages(Controller):
    include_in_schema = False

    @get("/", name="home")
    async def home(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> Template:
        latest = await catalog_page(db, CatalogQuery(limit=6))
        return page(
            request,
            "home.html",
            latest=latest.items,
            series=await library.series_titles(db),
            service=await library.next_service(db, user),
            shelves=await my_listening.home_shelves(db, settings, user),
        )

    @get("/library", name="library")
    async def library_page(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        q: FromQuery[str] = "",
        series: FromQuery[str] = "",
        speaker: FromQuery[str] = "",
        book: FromQuery[str] = "",
        tag: FromQuery[str] = "",
        since: FromQuery[str] = "",
        until: FromQuery[str] = "",
        cursor: FromQuery[str] = "",
    ) -> Template:
        filters = library.LibraryFilters(
            q=q, series=series, speaker=speaker, book=book, tag=tag, since=since, until=until,
            cursor=cursor,
        )  # fmt: skip
        result = await library.library(db, filters)
        return page(
            request,
            "library.html",
            title=f"“{q}”" if q else "Library",
            filters=filters,
            result=result,
            series=await library.series_titles(db),
        )

    @get("/library/{content_id:str}", name="player")
    async def player(
        self,
        request: Request[Any, Any, Any],
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        t: FromQuery[float] = 0.0,
    ) -> Template:
        data = await library.player(db, settings, content_id, user)
        # A signed-in member resumes where they stopped (on any device) unless a link says ?t=.
        mine = await my_listening.member_on_player(db, settings, user, content_id)
        return page(
            request,
            "player.html",
            title=data.content.title,
            data=data,
            comments=await sermon_comments(db, settings, data.content, user),
            mine=mine,
            start=max(t, 0.0) if t > 0 else mine.resume_at,
            url=f"{settings.public_base_url.rstrip('/')}/library/{content_id}",
        )

    @get("/series/{series_id:str}", name="series")
    async def series(
        self,
        request: Request[Any, Any, Any],
        series_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> Template:
        found, sermons = await library.series_with_sermons(db, series_id)
        if found is None:
            raise NotFound("no such series")
        return page(
            request,
            "series.html",
            title=found.title,
            series=series_out(settings, found),
            sermons=sermons.items,
        )
