"""Live services on LiveKit, and the webhook events already applied to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, TimestampMixin, utcnow


class LiveSession(IdMixin, TimestampMixin, Base):
    __tablename__ = "live_sessions"

    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    room_name: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    series_id: Mapped[str | None] = mapped_column(ForeignKey("series.id", ondelete="SET NULL"))
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    record: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    scheduled_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    participant_count: Mapped[int] = mapped_column(Integer, default=0)
    egress_id: Mapped[str | None] = mapped_column(String(100), index=True)
    egress_status: Mapped[str | None] = mapped_column(String(32))
    egress_error: Mapped[str | None] = mapped_column(Text)
    # The egress file's object key in our bucket, kept so an admin can retry its ingestion.
    recording_key: Mapped[str | None] = mapped_column(String(500))
    # When the recording's first frame was taken (LiveKit's file start): chat replay's clock.
    recording_started_at: Mapped[datetime | None]
    # Unique: one recording content per session, whatever the number of egress_ended retries.
    content_id: Mapped[str | None] = mapped_column(
        ForeignKey("content.id", ondelete="SET NULL"), unique=True
    )


class LiveEvent(Base):
    """A LiveKit webhook already applied; LiveKit retries, so its id makes delivery once-only."""

    __tablename__ = "live_events"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE")
    )
    event: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
