"""Request and response bodies of the Bible stories API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from api.content.cards import ContentCard
from api.web_images import ImageOut

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300, examples=["Noah's Ark"])]
Reference = Annotated[str, msgspec.Meta(max_length=200, examples=["Gen 6:9-22"])]
Age = Annotated[int, msgspec.Meta(ge=0, le=18)]
Summary = Annotated[str, msgspec.Meta(max_length=4000)]
StoryText = Annotated[str, msgspec.Meta(max_length=100_000)]


class StoryIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: Title
    scripture: Annotated[list[Reference], msgspec.Meta(min_length=1, max_length=20)]
    summary: Summary = ""
    age_min: Age = 3
    age_max: Age = 12
    text: StoryText = ""


class StoryPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: Title | msgspec.UnsetType = msgspec.UNSET
    scripture: (
        Annotated[list[Reference], msgspec.Meta(min_length=1, max_length=20)] | msgspec.UnsetType
    ) = msgspec.UNSET
    summary: Summary | msgspec.UnsetType = msgspec.UNSET
    age_min: Age | msgspec.UnsetType = msgspec.UNSET
    age_max: Age | msgspec.UnsetType = msgspec.UNSET
    text: StoryText | msgspec.UnsetType = msgspec.UNSET


class IllustrationPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    at_s: Annotated[float, msgspec.Meta(ge=0, le=86_400)] | msgspec.UnsetType = msgspec.UNSET
    alt: Annotated[str, msgspec.Meta(max_length=500)] | msgspec.UnsetType = msgspec.UNSET


class IllustrationOut(msgspec.Struct, kw_only=True):
    id: str
    at_s: float  # shown from this second of the narration until the next one's
    alt: str
    width: int
    height: int
    images: list[ImageOut]


class StoryOut(msgspec.Struct, kw_only=True):
    id: str
    owner_id: str
    title: str
    scripture: list[dict[str, Any]]
    books: list[str]
    testament: str
    summary: str
    age_min: int
    age_max: int
    text: str
    # The narration: upload its audio or video with PUT /api/v1/content/{id}/source, publish it
    # with POST /api/v1/content/{id}/publish; it plays like any content.
    narration: ContentCard
    created_at: datetime
    updated_at: datetime
    illustrations: list[IllustrationOut] = msgspec.field(default_factory=list)
    # The narration's transcript segments (with word timings when the provider gave them), for
    # highlighting the text as it is read; empty until there is a transcript.
    timings: list[dict[str, Any]] = msgspec.field(default_factory=list)


class StoryPage(msgspec.Struct, kw_only=True):
    items: list[StoryOut]
    next_cursor: str | None
