"""Request and response bodies of the live API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from pipelines.live.livekit import Participant
from workers.live_events import SessionState

__all__ = ["ParticipantOut", "SessionIn", "SessionOut", "TokenOut"]

SessionOut = SessionState
ParticipantOut = Participant
Role = Literal["host", "admin", "listener", "guest"]


class SessionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=300, examples=["Sunday Service"])]
    starts_at: Annotated[datetime, msgspec.Meta(tz=True, examples=["2026-11-29T09:30:00Z"])]
    series_id: str | None = None
    record: bool = True
    visibility: Literal["private", "unlisted", "public"] = "public"


class TokenOut(msgspec.Struct, kw_only=True):
    """What a LiveKit client needs to connect: the server URL and a short-lived access token."""

    url: str
    token: str
    room: str
    identity: str
    name: str
    role: Role
    expires_at: datetime
