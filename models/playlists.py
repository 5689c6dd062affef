"""Listening like a streaming app: playlists and their ordered items, playback progress, and
favourites."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, JSONType, TimestampMixin, utcnow


class Playlist(IdMixin, TimestampMixin, Base):
    """A member's list of content; `curated` marks the church's own (shown on the home page)."""

    __tablename__ = "playlists"

    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    cover_url: Mapped[str] = mapped_column(String(1000), default="")
    # An uploaded cover's web renditions: [{format, width, height, key, bytes}] (like a post's).
    cover_image: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    curated: Mapped[bool] = mapped_column(default=False)


class PlaylistItem(IdMixin, Base):
    """One content at one position of a playlist (a content appears once per playlist)."""

    __tablename__ = "playlist_items"
    __table_args__ = (
        UniqueConstraint("playlist_id", "content_id"),
        Index("ix_playlist_items_playlist_position", "playlist_id", "position"),
    )

    playlist_id: Mapped[str] = mapped_column(ForeignKey("playlists.id", ondelete="CASCADE"))
    content_id: Mapped[str] = mapped_column(
        ForeignKey("content.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlaybackProgress(Base):
    """Where a listener is in a content: one row per user and content, so every device resumes
    from the same second."""

    __tablename__ = "playback_progress"
    __table_args__ = (Index("ix_playback_progress_user_updated", "user_id", "updated_at"),)

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    content_id: Mapped[str] = mapped_column(
        ForeignKey("content.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[float] = mapped_column(Float)
    finished: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Favourite(Base):
    __tablename__ = "favourites"
    __table_args__ = (Index("ix_favourites_user_created", "user_id", "created_at"),)

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    content_id: Mapped[str] = mapped_column(
        ForeignKey("content.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
