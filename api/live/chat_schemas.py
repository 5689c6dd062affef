"""Request and response bodies of live chat."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

# A hard ceiling: the length members may write is CHAT_MESSAGE_MAX_CHARS, checked on sending.
MAX_CHAT_LENGTH = 2000


class ChatIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_CHAT_LENGTH, pattern=r"\S")]


class ChatSettingsIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    slow_mode_s: Annotated[int, msgspec.Meta(ge=0, le=3600)]  # 0 turns slow mode off


class ChatMuteIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    user_id: Annotated[str, msgspec.Meta(min_length=1, max_length=36)]
    minutes: Annotated[int, msgspec.Meta(ge=1, le=10_080)]  # up to a week


class ChatAuthor(msgspec.Struct, kw_only=True):
    id: str | None
    name: str


class ChatMessageOut(msgspec.Struct, kw_only=True):
    id: str
    session_id: str
    author: ChatAuthor
    text: str
    sent_at: datetime
    # Seconds into the service's recording when the message was sent (for replay beside the
    # recording); None before the recording's start is known.
    at_s: float | None
    removed: bool = False


class ChatPage(msgspec.Struct, kw_only=True):
    session_id: str
    recording_content_id: str | None
    slow_mode_s: int
    items: list[ChatMessageOut]
    next_cursor: str | None


class ChatSettingsOut(msgspec.Struct, kw_only=True):
    session_id: str
    slow_mode_s: int
