"""Request and response bodies of the moderation API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from api.community.schemas import AuthorOut, CommentOut, PostOut

Reason = Annotated[str, msgspec.Meta(max_length=1000)]


class ModerateIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    action: Literal["hide", "remove", "restore", "approve"]
    reason: Reason = ""


class DismissIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Reason = ""


class MuteIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    user_id: Annotated[str, msgspec.Meta(min_length=1, max_length=36)]
    minutes: Annotated[int, msgspec.Meta(ge=1, le=525_600)]  # up to a year
    reason: Reason = ""


class MuteOut(msgspec.Struct, kw_only=True):
    user_id: str
    scope: str
    until: datetime


class WordIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    word: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"\S")]


class ReportView(msgspec.Struct, kw_only=True):
    id: str
    target_type: str
    target_id: str
    reason: str
    status: str
    created_at: datetime
    reporter: AuthorOut
    # What was reported, as a moderator sees it (its author always named).
    post: PostOut | None = None
    comment: CommentOut | None = None


class ReportPage(msgspec.Struct, kw_only=True):
    items: list[ReportView]
    next_cursor: str | None


class HeldOut(msgspec.Struct, kw_only=True):
    posts: list[PostOut]
    comments: list[CommentOut]


class ActionOut(msgspec.Struct, kw_only=True):
    id: str
    moderator_id: str | None
    action: str
    target_type: str
    target_id: str
    reason: str
    details: dict[str, Any]
    created_at: datetime


class ActionPage(msgspec.Struct, kw_only=True):
    items: list[ActionOut]
    next_cursor: str | None
