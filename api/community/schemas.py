"""Request and response bodies of the community: posts, prayer requests, comments, reactions,
reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.content.cards import ContentCard
from api.web_images import ImageOut

PostKind = Literal["post", "prayer_request"]
ReactionKind = Literal["like", "amen", "praying"]
# Hard ceilings: the lengths members may write are settings (COMMUNITY_POST_MAX_CHARS,
# COMMUNITY_COMMENT_MAX_CHARS), checked by the handlers.
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000, examples=["Thank you all!"])]
CommentText = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=36)]
# A post's image, base64 in the JSON body: a phone photo, at most 6 MB once decoded.
ImageData = Annotated[str, msgspec.Meta(max_length=8_000_000, description="base64 of the image")]


class PostIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    text: Text
    kind: PostKind = "post"
    # Prayer requests only: other members do not see who asked (moderators always do).
    anonymous: bool = False
    content_id: Id | None = None  # a sermon shown as a card under the text
    image: ImageData | None = None


class PostPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The author changes the text within the edit window, or marks a prayer answered."""

    text: Text | msgspec.UnsetType = msgspec.UNSET
    answered: bool | msgspec.UnsetType = msgspec.UNSET


class CommentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    text: CommentText
    parent_id: Id | None = None  # a reply to a top-level comment (one level only)


class CommentPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The author changes a comment's text within the edit window."""

    text: CommentText


class ReactionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    kind: ReactionKind


class ReportIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    comment_id: Id | None = None  # report one of the post's comments instead of the post


class CommentReportIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A report of a comment on a sermon (comments on posts are reported through the post)."""

    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class CommentsSwitchIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    enabled: bool


class AuthorOut(msgspec.Struct, kw_only=True):
    id: str
    name: str


class CommentOut(msgspec.Struct, kw_only=True):
    id: str
    post_id: str | None
    content_id: str | None
    parent_id: str | None
    # None when the comment is by the author of an anonymous prayer request, for members.
    author: AuthorOut | None
    text: str
    status: str
    created_at: datetime
    edited_at: datetime | None
    replies: list[CommentOut] = msgspec.field(default_factory=list)


class PostOut(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    text: str
    anonymous: bool
    author: AuthorOut | None  # None for an anonymous prayer request, except to moderators
    content: ContentCard | None
    image: list[ImageOut]
    status: str
    answered_at: datetime | None
    created_at: datetime
    edited_at: datetime | None
    reactions: dict[str, int]
    my_reactions: list[str]
    comment_count: int
    comments: list[CommentOut] = msgspec.field(default_factory=list)


class PostPage(msgspec.Struct, kw_only=True):
    items: list[PostOut]
    next_cursor: str | None


class CommentPage(msgspec.Struct, kw_only=True):
    items: list[CommentOut]
    next_cursor: str | None


class ReactionsOut(msgspec.Struct, kw_only=True):
    post_id: str
    reactions: dict[str, int]
    my_reactions: list[str]


class MyReactionsOut(msgspec.Struct, kw_only=True):
    """The caller's own reactions to a page of posts (the feed, shared by all members, has none)."""

    reactions: dict[str, list[str]]  # post id -> kinds; posts the caller did not react to absent


class ReportOut(msgspec.Struct, kw_only=True):
    id: str
    target_type: str
    target_id: str
    status: str
    created_at: datetime


class CommentsSwitchOut(msgspec.Struct, kw_only=True):
    content_id: str
    enabled: bool


class ContentCommentPage(msgspec.Struct, kw_only=True):
    enabled: bool  # whether the content's owner takes new comments
    items: list[CommentOut]
    next_cursor: str | None
