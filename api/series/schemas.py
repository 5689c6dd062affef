"""Request and response bodies of the series API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

SeriesTitle = Annotated[
    str, msgspec.Meta(min_length=1, max_length=300, examples=["Sunday Mornings"])
]
Description = Annotated[
    str, msgspec.Meta(max_length=4000, examples=["Sermons from our Sunday service."])
]
Author = Annotated[str, msgspec.Meta(max_length=200, examples=["Grace Church"])]
ImageUrl = Annotated[
    str,
    msgspec.Meta(
        max_length=1000,
        pattern=r"^(https?://\S+)?$",
        description="Square JPEG or PNG, 1400-3000 px (Apple Podcasts' rule)",
        examples=["https://cdn.example.org/art/sunday.jpg"],
    ),
]
Category = Annotated[str, msgspec.Meta(max_length=100, examples=["Religion & Spirituality"])]
Language = Annotated[
    str, msgspec.Meta(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", examples=["en"])
]


class SeriesIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: SeriesTitle
    description: Description = ""
    author: Author = ""
    image_url: ImageUrl = ""
    category: Category = ""  # "": the platform's PODCAST_CATEGORY
    explicit: bool = False
    language: Language = "en"


class SeriesPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: SeriesTitle | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    author: Author | msgspec.UnsetType = msgspec.UNSET
    image_url: ImageUrl | msgspec.UnsetType = msgspec.UNSET
    category: Category | msgspec.UnsetType = msgspec.UNSET
    explicit: bool | msgspec.UnsetType = msgspec.UNSET
    language: Language | msgspec.UnsetType = msgspec.UNSET


class SeriesOut(msgspec.Struct, kw_only=True):
    id: str
    owner_id: str
    title: str
    description: str
    author: str
    image_url: str
    category: str
    explicit: bool
    language: str
    feed_url: str
    created_at: datetime
    updated_at: datetime
