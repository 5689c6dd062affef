"""Request and response bodies of the playlists API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.content.cards import ContentCard
from api.web_images import ImageOut

Visibility = Literal["private", "unlisted", "public"]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300, examples=["Advent 2026"])]
Description = Annotated[str, msgspec.Meta(max_length=4000)]
CoverUrl = Annotated[
    str,
    msgspec.Meta(max_length=1000, pattern=r"^(https?://\S+)?$", examples=["https://x.org/a.jpg"]),
]
ContentId = Annotated[str, msgspec.Meta(min_length=1, max_length=36)]


class PlaylistIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: Title
    description: Description = ""
    visibility: Visibility = "private"
    cover_url: CoverUrl = ""
    # The church's own (creators and admins only): shown on the home page.
    curated: bool = False


class PlaylistPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: Title | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    visibility: Visibility | msgspec.UnsetType = msgspec.UNSET
    cover_url: CoverUrl | msgspec.UnsetType = msgspec.UNSET
    curated: bool | msgspec.UnsetType = msgspec.UNSET


class ItemIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    content_id: ContentId
    # 0 is first; at the end when absent.
    position: Annotated[int, msgspec.Meta(ge=0, le=10_000)] | None = None


class OrderIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The playlist's items in their new order: every content id of the playlist, once."""

    content_ids: Annotated[list[ContentId], msgspec.Meta(max_length=1000)]


class ItemOut(msgspec.Struct, kw_only=True):
    content_id: str
    position: int
    added_at: datetime
    # False only in its owner's view, for content that has since become unavailable to them:
    # they see that something is gone and can remove it; nobody else sees the item at all.
    available: bool = True
    content: ContentCard | None = None


class PlaylistOut(msgspec.Struct, kw_only=True):
    id: str
    owner_id: str
    title: str
    description: str
    cover_url: str
    # The uploaded cover's renditions (WebP and JPEG, several widths), empty without one.
    cover: list[ImageOut] = msgspec.field(default_factory=list)
    visibility: str
    curated: bool
    created_at: datetime
    updated_at: datetime
    feed_url: str | None
    items: list[ItemOut] = msgspec.field(default_factory=list)


class PlaylistPage(msgspec.Struct, kw_only=True):
    items: list[PlaylistOut]
    next_cursor: str | None
