"""Jobs: one step of one generation of one content, always telling the truth about it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, JSONType, utcnow

JOB_STATUSES = ("queued", "running", "succeeded", "skipped", "failed", "dead", "cancelled")
FINISHED = ("succeeded", "skipped", "failed", "dead", "cancelled")


class Job(IdMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        # A chunk's job is one of its step's (`chunk` is 0 otherwise); two tracks added to one
        # generation are two jobs of one step (`track` is '' otherwise).
        UniqueConstraint("content_id", "step", "generation", "chunk", "track"),
        Index("ix_jobs_status_queued_at", "status", "queued_at"),
    )

    content_id: Mapped[str] = mapped_column(
        ForeignKey("content.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(String(32))
    generation: Mapped[int] = mapped_column(Integer)
    # A long video's encode is cut into chunks, each its own job (1, 2, ...), which the step's
    # whole job (0) then joins; 0 for every step that is not cut.
    chunk: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    queue: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(64))
    log_tail: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(64))
    worker: Mapped[str | None] = mapped_column(String(200))
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Renewed while the step runs; a running job whose lease lapsed lost its worker.
    heartbeat_at: Mapped[datetime | None]
    cpu_seconds: Mapped[float | None] = mapped_column(Float)
    media_seconds: Mapped[float | None] = mapped_column(Float)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # The language of the audio track an `add_audio_track` job adds; '' for every other step.
    track: Mapped[str] = mapped_column(String(35), default="", server_default="")
