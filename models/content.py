"""Content and what processing makes of it: series, assets, transcripts, uploads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, JSONType, TimestampMixin, utcnow

CONTENT_KINDS = ("sermon", "music", "video", "recording", "clip", "bible_story")
VISIBILITIES = ("private", "unlisted", "public")


class Series(IdMixin, TimestampMixin, Base):
    """A podcast feed's metadata; content belongs to at most one series."""

    __tablename__ = "series"

    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(200), default="")
    image_url: Mapped[str] = mapped_column(String(1000), default="")
    category: Mapped[str] = mapped_column(String(100), default="Religion & Spirituality")
    explicit: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(16), default="en")


class Content(IdMixin, TimestampMixin, Base):
    __tablename__ = "content"

    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="sermon")
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    speaker: Mapped[str] = mapped_column(String(200), default="", index=True)
    series_id: Mapped[str | None] = mapped_column(
        ForeignKey("series.id", ondelete="SET NULL"), index=True
    )
    scripture: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    language: Mapped[str] = mapped_column(String(16), default="en")
    recorded_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    publish_at: Mapped[datetime | None]
    media_type: Mapped[str | None] = mapped_column(String(8))
    duration: Mapped[float | None] = mapped_column(Float)
    source_key: Mapped[str | None] = mapped_column(String(500))
    source_bytes: Mapped[int | None] = mapped_column(BigInteger)
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    probe: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    loudness: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Bumped by every reprocess; outputs live under media/{id}/g{generation}/.
    generation: Mapped[int] = mapped_column(Integer, default=0)
    # The generation listeners are served; it changes only when a new one is published.
    live_generation: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    invalidation: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Editing. The range of the source its generations are made from: a trim of its own source,
    # or, for a clip, the moment of its parent's source it was cut from. None: the whole source.
    range_start_s: Mapped[float | None] = mapped_column(Float)
    range_end_s: Mapped[float | None] = mapped_column(Float)
    # A clip's parent; a clip has no source of its own and is rendered from its parent's.
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("content.id", ondelete="SET NULL"), index=True
    )
    # How a clip is rendered (pipelines.media.clips.ClipEdit as JSON: aspect, reframe, captions
    # and the parent's transcript cues re-timed to the clip), fixed when the clip is made.
    edit: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # A live recording that trims itself to the suggested sermon: "publish", "wait" or None.
    auto_trim: Mapped[str | None] = mapped_column(String(8))


class Asset(IdMixin, Base):
    """One output of one generation."""

    __tablename__ = "assets"
    __table_args__ = (UniqueConstraint("content_id", "generation", "key"),)

    content_id: Mapped[str] = mapped_column(
        ForeignKey("content.id", ondelete="CASCADE"), index=True
    )
    generation: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(500))
    mime_type: Mapped[str] = mapped_column(String(100))
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    width: Mapped[int | None]
    height: Mapped[int | None]
    bitrate: Mapped[int | None]
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Transcript(IdMixin, TimestampMixin, Base):
    """The searchable words of a content: full text and timed segments."""

    __tablename__ = "transcripts"

    content_id: Mapped[str] = mapped_column(
        ForeignKey("content.id", ondelete="CASCADE"), unique=True
    )
    generation: Mapped[int] = mapped_column(Integer, default=0)
    provider: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(16), default="en")
    text: Mapped[str] = mapped_column(Text, default="")
    segments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)


class Upload(IdMixin, TimestampMixin, Base):
    """A direct-to-S3 multipart upload of a content's source."""

    __tablename__ = "uploads"

    content_id: Mapped[str] = mapped_column(
        ForeignKey("content.id", ondelete="CASCADE"), index=True
    )
    s3_upload_id: Mapped[str] = mapped_column(String(1024))
    key: Mapped[str] = mapped_column(String(500))
    part_size: Mapped[int] = mapped_column(BigInteger)
    expected_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | completed | aborted


Index("ix_content_published", Content.status, Content.visibility, Content.published_at)


async def live_assets(db: AsyncSession, content: Content) -> list[Asset]:
    """The assets of the generation listeners are served (none before the first is ready)."""
    if content.live_generation is None:
        return []
    return list(
        await db.scalars(
            select(Asset)
            .where(Asset.content_id == content.id, Asset.generation == content.live_generation)
            .order_by(Asset.kind, Asset.key)
        )
    )
