"""Request and response bodies of the content API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

Kind = Literal["sermon", "music", "video", "recording"]
Visibility = Literal["private", "unlisted", "public"]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300, examples=["The Good Shepherd"])]


ScriptureText = Annotated[str, msgspec.Meta(max_length=200, examples=["John 3:16-18"])]
# Bounded lists: 10,000 references or 20,000 tags were accepted and stored whole.
Scriptures = Annotated[list[ScriptureText], msgspec.Meta(max_length=50)]
Tags = Annotated[list[Annotated[str, msgspec.Meta(max_length=50)]], msgspec.Meta(max_length=30)]


class ContentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: Title
    kind: Kind = "sermon"
    description: Annotated[str, msgspec.Meta(max_length=20_000)] = ""
    speaker: Annotated[str, msgspec.Meta(max_length=200, examples=["Pastor Ann Lee"])] = ""
    series_id: str | None = None
    scripture: Scriptures = msgspec.field(default_factory=list)
    tags: Tags = msgspec.field(default_factory=list)
    language: Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")] = "en"
    recorded_date: date | None = None
    visibility: Visibility = "private"


class ContentPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Only the fields sent change; `series_id` and `recorded_date` may be set to null."""

    title: Title | msgspec.UnsetType = msgspec.UNSET
    description: Annotated[str, msgspec.Meta(max_length=20_000)] | msgspec.UnsetType = msgspec.UNSET
    speaker: Annotated[str, msgspec.Meta(max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    series_id: str | None | msgspec.UnsetType = msgspec.UNSET
    scripture: Scriptures | msgspec.UnsetType = msgspec.UNSET
    tags: Tags | msgspec.UnsetType = msgspec.UNSET
    language: (
        Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    recorded_date: date | None | msgspec.UnsetType = msgspec.UNSET
    visibility: Visibility | msgspec.UnsetType = msgspec.UNSET


class PublishIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Publish now, or at `publish_at` (then the clock publishes it once it is ready)."""

    visibility: Literal["public", "unlisted"] = "public"
    publish_at: (
        Annotated[datetime, msgspec.Meta(tz=True, examples=["2026-11-29T09:00:00Z"])] | None
    ) = None


class JobOut(msgspec.Struct):
    id: str
    step: str
    generation: int
    status: str
    attempts: int
    progress: float
    error: str | None
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cpu_seconds: float | None
    # A long video's encode runs as chunks (1, 2, ...) joined by the step's whole job (0).
    chunk: int = 0
    # The language an add_audio_track job adds; '' for every other step.
    track: str = ""


class AssetOut(msgspec.Struct):
    kind: str
    key: str
    mime_type: str
    bytes: int
    generation: int
    width: int | None = None
    height: int | None = None
    bitrate: int | None = None
    language: str | None = None


class ContentOut(msgspec.Struct):
    id: str
    owner_id: str
    kind: str
    title: str
    description: str
    speaker: str
    series_id: str | None
    scripture: list[dict[str, Any]]
    tags: list[str]
    language: str
    recorded_date: date | None
    status: str
    visibility: str
    published_at: datetime | None
    publish_at: datetime | None
    media_type: str | None
    duration: float | None
    source_bytes: int | None
    source_sha256: str | None
    generation: int
    live_generation: int | None
    loudness: dict[str, Any] | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    jobs: list[JobOut] = msgspec.field(default_factory=list)
    assets: list[AssetOut] = msgspec.field(default_factory=list)
    # The latest CDN invalidation covering the content: id, status, paths (owners and admins).
    invalidation: dict[str, Any] | None = None
    # Editing: the range of the source this content is made from (a trim, or a clip's moment of
    # its parent, whose id links back to it), in seconds of that source.
    parent_id: str | None = None
    range_start_s: float | None = None
    range_end_s: float | None = None


class SourceOut(msgspec.Struct):
    id: str
    status: str
    bytes: int
    sha256: str
    generation: int


class PlaybackOut(msgspec.Struct):
    """Everything a player needs, as CDN URLs (signed where the content is not public)."""

    content_id: str
    generation: int
    media_type: str | None
    duration: float | None
    hls: str | None
    mp3: str | None = None
    # A clip's MP4 for social platforms (H.264 High, AAC, index first).
    mp4: str | None = None
    poster: str | None = None
    storyboard: str | None = None
    waveform: str | None = None
    captions: list[dict[str, str]] = msgspec.field(default_factory=list)
    transcript: str | None = None
    expires_at: datetime | None = None
    cookies: dict[str, str] | None = None
