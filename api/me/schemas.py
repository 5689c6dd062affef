"""Request and response bodies of a listener's own things: progress and favourites."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.content.cards import ContentCard

# A day of audio: no sermon runs longer, and a position beyond it is a client's bug.
Seconds = Annotated[float, msgspec.Meta(ge=0, le=86_400, examples=[754.2])]


class ProgressIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    position: Seconds
    # The player says so at the end; otherwise the last 5% (or 30 s) counts as finished.
    finished: bool = False


class ProgressOut(msgspec.Struct, kw_only=True):
    content_id: str
    position: float
    finished: bool
    updated_at: datetime


class ContinueItem(msgspec.Struct, kw_only=True):
    content: ContentCard
    position: float
    updated_at: datetime


class ContinuePage(msgspec.Struct, kw_only=True):
    items: list[ContinueItem]
    next_cursor: str | None


class FavouriteItem(msgspec.Struct, kw_only=True):
    content: ContentCard
    created_at: datetime


class FavouritePage(msgspec.Struct, kw_only=True):
    items: list[FavouriteItem]
    next_cursor: str | None
