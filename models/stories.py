"""Bible stories for children: the story, its narration (a Content of kind `bible_story`,
processed by the normal plan) and its illustrations, each shown at a time in the narration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pythonbible
from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, JSONType, TimestampMixin, utcnow

TESTAMENTS = ("old", "new")


class BibleStory(IdMixin, TimestampMixin, Base):
    __tablename__ = "bible_stories"
    __table_args__ = (Index("ix_bible_stories_ages", "age_min", "age_max"),)

    # The narration: seen, listed and published exactly as its content is.
    content_id: Mapped[str] = mapped_column(
        ForeignKey("content.id", ondelete="CASCADE"), unique=True
    )
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    scripture: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # Derived from the scripture when it is saved, so listing filters on plain columns.
    books: Mapped[list[str]] = mapped_column(JSONType, default=list)
    testament: Mapped[str] = mapped_column(String(8), default="old", index=True)
    age_min: Mapped[int] = mapped_column(Integer, default=3)
    age_max: Mapped[int] = mapped_column(Integer, default=12)


class StoryIllustration(IdMixin, Base):
    """An illustration, resized to web sizes, shown from `at_s` seconds into the narration."""

    __tablename__ = "story_illustrations"
    __table_args__ = (Index("ix_story_illustrations_story_at", "story_id", "at_s"),)

    story_id: Mapped[str] = mapped_column(ForeignKey("bible_stories.id", ondelete="CASCADE"))
    at_s: Mapped[float] = mapped_column(Float, default=0.0)
    alt: Mapped[str] = mapped_column(String(500), default="")
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # [{format, width, height, key, bytes}], smallest first.
    renditions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def testament_of(books: list[str]) -> str:
    """`new` when every book is of the New Testament, else `old` (the Apocrypha count as old)."""
    first, last = pythonbible.Book.MATTHEW.value, pythonbible.Book.REVELATION.value
    new = {book.title for book in pythonbible.Book if first <= book.value <= last}
    return "new" if books and all(book in new for book in books) else "old"
