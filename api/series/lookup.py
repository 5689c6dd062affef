"""The one check every route that names a series makes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import InvalidInput
from models import Series


async def require_series(db: AsyncSession, series_id: str | None) -> None:
    """A `series_id` a request sends must name a series; None (or leaving it out) means none."""
    if series_id is not None and await db.get(Series, series_id) is None:
        raise InvalidInput("series_id names no series", extra={"field": "series_id"})
