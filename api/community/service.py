"""Community writes: posts with their image, comments with one level of replies, reactions
counted once per member, and reports; each announced on the `community` channel."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.community.errors import EditWindowClosed
from api.community.events import announce
from api.community.gate import held_by_words
from api.community.schemas import ReportIn
from api.community.views import MEMBER_VIEW, comment_out, names, posts_out
from api.errors import Forbidden, InvalidInput, NotFound
from api.web_images import decode_image, delete_images, store_image
from models import Comment, Post, Report, utcnow
from models.catalog.cursor import decode_cursor, encode_cursor
from models.errors import BadCursor
from pipelines.storage import Storage
from settings import Settings


def decode_base64_image(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("image is not base64", extra={"field": "image"}) from None


async def attach_image(storage: Storage, post: Post, data: bytes) -> None:
    image = await decode_image(data)
    post.image = await store_image(storage, f"community/posts/{post.id}/image", image)


def edit_window(settings: Settings) -> timedelta:
    """How long after posting its author may still change a post (COMMUNITY_EDIT_WINDOW_S)."""
    return timedelta(seconds=settings.community_edit_window_s)


def ensure_editable(
    author_id: str, created_at: datetime, user: AuthUser, settings: Settings
) -> None:
    if author_id != user.id:
        raise Forbidden("only its author edits a post or comment")
    window = edit_window(settings)
    if utcnow() - created_at > window:
        minutes = int(window.total_seconds() // 60)
        raise EditWindowClosed(f"posts and comments can be edited for {minutes} minutes")


async def status_for(db: AsyncSession, text: str) -> str:
    return "held" if await held_by_words(db, text) else "visible"


async def announce_post(db: AsyncSession, settings: Settings, post: Post, kind: str) -> None:
    """Visible posts only, as any member sees them."""
    if post.status != "visible":
        return
    (out,) = await posts_out(db, settings, [post], MEMBER_VIEW)
    await announce(kind, post=out)


async def announce_comment(db: AsyncSession, post: Post | None, comment: Comment) -> None:
    if comment.status != "visible":
        return
    shown = comment_out(post, comment, await names(db, {comment.author_id}), MEMBER_VIEW)
    await announce("comment_created", comment=shown)


async def remove_images(storage: Storage, post: Post) -> None:
    if post.image:
        await delete_images(storage, post.image)
        post.image = None


def feed_query(kind: str | None, cursor: str | None) -> Select[Post]:
    query = select(Post).where(Post.status == "visible")
    if kind:
        query = query.where(Post.kind == kind)
    if cursor:
        after = decode_cursor(cursor)
        try:
            when = datetime.fromisoformat(str(after.key))
        except ValueError:
            raise BadCursor("the cursor is not one this API gave out") from None
        query = query.where(tuple_(Post.created_at, Post.id) < tuple_(when, after.id))
    return query.order_by(Post.created_at.desc(), Post.id.desc())


def next_cursor(rows: list[Post] | list[Comment], more: bool) -> str | None:
    if not more or not rows:
        return None
    last = rows[-1]
    return encode_cursor(last.created_at.isoformat(), last.id)


async def thread(
    db: AsyncSession,
    *,
    post_id: str | None = None,
    content_id: str | None = None,
    limit: int = 200,
    cursor: str | None = None,
) -> tuple[list[Comment], bool]:
    """A page of top-level comments, oldest first, with all their replies."""
    where = Comment.post_id == post_id if post_id else Comment.content_id == content_id
    query = select(Comment).where(where, Comment.parent_id.is_(None))
    if cursor:
        after = decode_cursor(cursor)
        try:
            when = datetime.fromisoformat(str(after.key))
        except ValueError:
            raise BadCursor("the cursor is not one this API gave out") from None
        query = query.where(tuple_(Comment.created_at, Comment.id) > tuple_(when, after.id))
    top = list(await db.scalars(query.order_by(Comment.created_at, Comment.id).limit(limit + 1)))
    more = len(top) > limit
    top = top[:limit]
    if not top:
        return [], False
    replies = list(
        await db.scalars(
            select(Comment)
            .where(Comment.parent_id.in_([c.id for c in top]))
            .order_by(Comment.created_at, Comment.id)
        )
    )
    return top + replies, more


async def check_parent(
    db: AsyncSession, parent_id: str | None, *, post_id: str | None, content_id: str | None
) -> None:
    """A reply answers a top-level comment of the same post or content: one level only."""
    if parent_id is None:
        return
    parent = await db.get(Comment, parent_id)
    same_place = parent is not None and (
        (post_id is not None and parent.post_id == post_id)
        or (content_id is not None and parent.content_id == content_id)
    )
    if parent is None or not same_place or parent.status != "visible":
        raise NotFound("no such comment to reply to")
    if parent.parent_id is not None:
        raise InvalidInput("replies go one level deep: reply to the comment above instead")


async def post_report_target(db: AsyncSession, post: Post, data: ReportIn) -> tuple[str, str]:
    """What a report on a post names: the post, or one of its comments."""
    if not data.comment_id:
        return "post", post.id
    comment = await db.get(Comment, data.comment_id)
    if comment is None or comment.post_id != post.id:
        raise NotFound("no such comment on this post")
    return "comment", comment.id


async def file_report(
    db: AsyncSession, user: AuthUser, target_type: str, target_id: str, reason: str
) -> Report:
    """One report per member and thing (a post, or a comment on a post or a sermon), into the
    moderators' queue: reporting twice keeps the first."""
    existing = await db.scalar(
        select(Report).where(
            Report.reporter_id == user.id,
            Report.target_type == target_type,
            Report.target_id == target_id,
        )
    )
    if existing is not None:
        return existing
    report = Report(
        target_type=target_type, target_id=target_id, reporter_id=user.id, reason=reason
    )
    db.add(report)
    await db.flush()
    return report


async def delete_post(db: AsyncSession, storage: Storage, post: Post) -> None:
    """The author's delete: the row, its comments and reactions (cascade), reports, images."""
    await remove_images(storage, post)
    await db.execute(
        delete(Report).where(Report.target_type == "post", Report.target_id == post.id)
    )
    await db.delete(post)
