"""Series CRUD for creators, and the podcast feeds: GET /series/{id}/feed.xml and GET /feed.xml."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import creators_only, ensure_can_change
from api.auth.tokens import AuthUser
from api.cdn_refresh import invalidate
from api.errors import NotFound
from api.series.artwork import artwork_key, checked_artwork, store_artwork
from api.series.feed_response import RSS, feed_response
from api.series.feeds import (
    all_sermons_channel,
    episodes,
    series_channel,
)
from api.series.schemas import SeriesIn, SeriesOut, SeriesPatch
from api.web_images import read_image_body
from models import Series, utcnow
from pipelines.storage import Storage
from settings import Settings


def series_out(settings: Settings, series: Series) -> SeriesOut:
    return SeriesOut(
        id=series.id,
        owner_id=series.owner_id,
        title=series.title,
        description=series.description,
        author=series.author,
        image_url=series.image_url,
        category=series.category,
        explicit=series.explicit,
        language=series.language,
        feed_url=f"{settings.public_base_url.rstrip('/')}/api/v1/series/{series.id}/feed.xml",
        created_at=series.created_at,
        updated_at=series.updated_at,
    )


async def _series(db: AsyncSession, series_id: str) -> Series:
    series = await db.get(Series, series_id)
    if series is None:
        raise NotFound("no such series")
    return series


class SeriesController(Controller):
    path = "/series"
    tags = ["series"]

    @post("/", guards=[creators_only], status_code=201, summary="Create a series (creators)")
    async def create(
        self,
        data: JSONBody[SeriesIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> SeriesOut:
        assert user is not None
        series = Series(owner_id=user.id, **msgspec.structs.asdict(data))
        db.add(series)
        await db.commit()
        return series_out(settings, series)

    @get("/", summary="Every series, by title")
    async def list_series(
        self, db: NamedDependency[AsyncSession], settings: NamedDependency[Settings]
    ) -> list[SeriesOut]:
        rows = await db.scalars(select(Series).order_by(Series.title, Series.id).limit(500))
        return [series_out(settings, series) for series in rows]

    @get("/{series_id:str}", summary="A series' metadata and feed URL")
    async def read(
        self,
        series_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> SeriesOut:
        return series_out(settings, await _series(db, series_id))

    @patch("/{series_id:str}", summary="Change a series (its owner or an admin)")
    async def change(
        self,
        series_id: FromPath[str],
        data: JSONBody[SeriesPatch],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> SeriesOut:
        series = await _series(db, series_id)
        ensure_can_change(user, series.owner_id, "this series")
        for field, value in msgspec.structs.asdict(data).items():
            if value is not msgspec.UNSET:
                setattr(series, field, value)
        series.updated_at = utcnow()
        await db.commit()
        await invalidate(settings, [f"/api/v1/series/{series.id}/feed.xml"])
        return series_out(settings, series)

    @put(
        "/{series_id:str}/artwork",
        request_max_body_size=None,  # counted below, so a large upload is refused as it streams
        summary="Upload the series' podcast artwork (its owner or an admin)",
        description=(
            "The body is the image: JPEG, PNG, WebP or GIF, square, at least 1400 px a side "
            "(Apple Podcasts' rule). Stored as an RGB JPEG, downscaled to 3000 px when larger; "
            "the series' image_url, and so its feed's artwork, then names it. 422 when it is "
            "not square or too small, 413 beyond the image limits."
        ),
    )
    async def upload_artwork(
        self,
        series_id: FromPath[str],
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
    ) -> SeriesOut:
        series = await _series(db, series_id)
        ensure_can_change(user, series.owner_id, "this series")
        art = await checked_artwork(await read_image_body(request))
        series.image_url = await store_artwork(settings, storage, series.id, art)
        series.updated_at = utcnow()
        await db.commit()
        await invalidate(
            settings, [f"/api/v1/series/{series.id}/feed.xml", f"/{artwork_key(series.id)}"]
        )
        return series_out(settings, series)

    @get(
        "/{series_id:str}/feed.xml",
        summary="The series' podcast feed (RSS 2.0, iTunes and Podcasting 2.0 tags)",
        media_type=RSS,
        response_description="RSS 2.0; 304 when If-None-Match or If-Modified-Since still holds",
    )
    async def feed(
        self,
        series_id: FromPath[str],
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> Response[bytes]:
        series = await _series(db, series_id)
        channel = series_channel(settings, series)
        return feed_response(request, settings, channel, await episodes(db, series.id))


@get(
    "/feed.xml",
    tags=["series"],
    summary="Every public sermon as one podcast feed",
    media_type=RSS,
    response_description="RSS 2.0; 304 when If-None-Match or If-Modified-Since still holds",
)
async def all_sermons_feed(
    request: Request[Any, Any, Any],
    db: NamedDependency[AsyncSession],
    settings: NamedDependency[Settings],
) -> Response[bytes]:
    return feed_response(request, settings, all_sermons_channel(settings), await episodes(db, None))
