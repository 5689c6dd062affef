"""The community: posts and prayer requests, comments (on posts and on content), reactions,
reports, and what moderators do about them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, JSONType, TimestampMixin, utcnow

POST_KINDS = ("post", "prayer_request")
REACTION_KINDS = ("like", "amen", "praying")
# visible: everyone sees it; held: the word list caught it, a moderator decides; hidden: a
# moderator took it out of view (it can come back); removed: gone for good, images deleted.
STATUSES = ("visible", "held", "hidden", "removed")
COMMUNITY = "community"  # the mute scope of posting and commenting


class Post(IdMixin, TimestampMixin, Base):
    __tablename__ = "posts"
    __table_args__ = (Index("ix_posts_status_created", "status", "created_at", "id"),)

    author_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="post")
    text: Mapped[str] = mapped_column(Text)
    # A prayer request's author may hide their name from members (never from moderators).
    anonymous: Mapped[bool] = mapped_column(default=False)
    content_id: Mapped[str | None] = mapped_column(ForeignKey("content.id", ondelete="SET NULL"))
    # The image's web renditions: [{format, width, height, key, bytes}].
    image: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default="visible")
    answered_at: Mapped[datetime | None]
    edited_at: Mapped[datetime | None]


class Comment(IdMixin, TimestampMixin, Base):
    """On a post or on a content (exactly one of them); `parent_id` makes it a reply (one level)."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_post_created", "post_id", "created_at", "id"),
        Index("ix_comments_content_created", "content_id", "created_at", "id"),
    )

    post_id: Mapped[str | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    content_id: Mapped[str | None] = mapped_column(ForeignKey("content.id", ondelete="CASCADE"))
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="visible")
    edited_at: Mapped[datetime | None]


class Reaction(Base):
    """One member's reaction of one kind to one post: the key makes it count once."""

    __tablename__ = "reactions"

    post_id: Mapped[str] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(IdMixin, Base):
    """A member's report of a post or a comment, waiting in the moderators' queue."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("reporter_id", "target_type", "target_id"),
        Index("ix_reports_status_created", "status", "created_at"),
    )

    target_type: Mapped[str] = mapped_column(String(16))  # post | comment
    target_id: Mapped[str] = mapped_column(String(36))
    reporter_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved | dismissed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ModerationAction(IdMixin, Base):
    """The audit log: every moderator action, who took it, on what, and why."""

    __tablename__ = "moderation_actions"
    __table_args__ = (Index("ix_moderation_actions_created", "created_at", "id"),)

    moderator_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mute(IdMixin, Base):
    """A member kept from writing in a scope (`community`, or `live:{session id}`) until a time."""

    __tablename__ = "mutes"
    __table_args__ = (UniqueConstraint("user_id", "scope"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HeldWord(Base):
    """A word or phrase that holds back a post or comment for review."""

    __tablename__ = "held_words"

    word: Mapped[str] = mapped_column(String(100), primary_key=True)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContentComments(Base):
    """Whether a content takes comments: its owner's switch (off until switched on)."""

    __tablename__ = "content_comments"

    content_id: Mapped[str] = mapped_column(
        ForeignKey("content.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
