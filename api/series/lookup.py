"""The one check every route that names a series makes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Forbidden, InvalidInput
from models import Series


async def require_series(db: AsyncSession, series_id: str | None, owner_id: str) -> None:
    """A `series_id` a request sends must name a series of `owner_id`, the owner of what is
    filed under it (content belongs to one of its owner's series); None means none.

    Existence alone is not enough: any creator could otherwise put episodes into another
    church's podcast feed."""
    if series_id is None:
        return
    series = await db.get(Series, series_id)
    if series is None:
        raise InvalidInput("series_id names no series", extra={"field": "series_id"})
    if series.owner_id != owner_id:
        raise Forbidden(
            "series_id names a series of another creator; file it under one of your own",
            extra={"field": "series_id"},
        )
