"""Audio tracks a creator added to a video after it was made: an interpreter's recording in
another language, kept as the source of an `add_audio_track` job on every generation that
goes live."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, TimestampMixin

# `active`: served, or being added to the live generation; `removing`: the creator deleted it
# and a worker is taking it out of the master (nothing is added meanwhile).
ADDED_TRACK_STATUSES = ("active", "removing")


class AddedTrack(IdMixin, TimestampMixin, Base):
    __tablename__ = "added_tracks"
    # One recording per language: a second one replaces the first.
    __table_args__ = (UniqueConstraint("content_id", "language"),)

    content_id: Mapped[str] = mapped_column(
        ForeignKey("content.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(35))  # BCP 47, as the master's LANGUAGE
    name: Mapped[str] = mapped_column(String(100))  # what a player's language menu shows
    source_key: Mapped[str] = mapped_column(String(500))
    source_bytes: Mapped[int] = mapped_column(BigInteger)
    source_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")
