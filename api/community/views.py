"""Who sees which post and comment, whose name is shown, and rows made into responses: the one
place the anonymous author's name is decided, for every route and every event."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.community.schemas import AuthorOut, CommentOut, PostOut, ReportOut
from api.content.cards import content_card
from api.content.service import visible_to
from api.errors import NotFound
from api.playlists.service import CARD_COLUMNS
from api.web_images import image_urls
from models import Comment, Content, Post, Reaction, Report, User
from settings import Settings

# What a member who is neither author nor moderator is: the audience of community events.
MEMBER_VIEW: AuthUser | None = None


def sees_post(post: Post, user: AuthUser | None) -> bool:
    """Members see visible posts; authors also their own held or hidden ones; moderators all."""
    if user is None:
        return post.status == "visible"
    if user.is_moderator:
        return True
    if post.author_id == user.id:
        return post.status in ("visible", "held", "hidden")
    return post.status == "visible"


def sees_comment(comment: Comment, user: AuthUser | None) -> bool:
    if comment.status == "visible":
        return True
    if user is None:
        return False
    return user.is_moderator or (comment.author_id == user.id and comment.status != "removed")


def shows_author(post: Post, author_id: str, user: AuthUser | None) -> bool:
    """An anonymous prayer request hides its author, in the post and in the author's own
    comments under it, from everyone but the author and moderators."""
    if not post.anonymous or author_id != post.author_id:
        return True
    return user is not None and (user.is_moderator or user.id == post.author_id)


async def load_post(
    db: AsyncSession, post_id: str, user: AuthUser | None, *, lock: bool = False
) -> Post:
    query = select(Post).where(Post.id == post_id)
    if lock:
        query = query.with_for_update()
    post = (await db.scalars(query)).first()
    if post is None or not sees_post(post, user):
        raise NotFound("no such post")
    return post


async def names(db: AsyncSession, user_ids: set[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    rows = await db.execute(select(User.id, User.display_name).where(User.id.in_(list(user_ids))))
    return {user_id: display or "Member" for user_id, display in rows}


async def posts_out(
    db: AsyncSession, settings: Settings, posts: list[Post], user: AuthUser | None
) -> list[PostOut]:
    """Many posts in a few queries: authors, reaction counts, the caller's reactions, comment
    counts and linked sermons, each fetched once for the whole page."""
    if not posts:
        return []
    ids = [post.id for post in posts]
    authors = await names(db, {post.author_id for post in posts})
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for post_id, kind, count in await db.execute(
        select(Reaction.post_id, Reaction.kind, func.count())
        .where(Reaction.post_id.in_(ids))
        .group_by(Reaction.post_id, Reaction.kind)
    ):
        counts[post_id][kind] = int(count)
    mine = await my_reactions(db, ids, user.id) if user is not None and user.id else {}
    comment_counts = dict(
        (post_id, int(count))
        for post_id, count in await db.execute(
            select(Comment.post_id, func.count())
            .where(Comment.post_id.in_(ids), Comment.status == "visible")
            .group_by(Comment.post_id)
        )
    )
    linked = {post.content_id for post in posts if post.content_id}
    contents = (
        {
            c.id: c
            for c in await db.scalars(
                select(Content).options(CARD_COLUMNS).where(Content.id.in_(list(linked)))
            )
        }
        if linked
        else {}
    )
    return [
        PostOut(
            id=post.id,
            kind=post.kind,
            text=post.text,
            anonymous=post.anonymous,
            author=_author(post, post.author_id, authors, user),
            content=_card(contents.get(post.content_id or ""), user),
            image=image_urls(settings, post.image),
            status=post.status,
            answered_at=post.answered_at,
            created_at=post.created_at,
            edited_at=post.edited_at,
            reactions=counts.get(post.id, {}),
            my_reactions=mine.get(post.id, []),
            comment_count=comment_counts.get(post.id, 0),
        )
        for post in posts
    ]


async def my_reactions(db: AsyncSession, post_ids: list[str], user_id: str) -> dict[str, list[str]]:
    """The kinds `user_id` reacted with to each of `post_ids` (posts without any left out)."""
    mine: dict[str, list[str]] = defaultdict(list)
    for post_id, kind in await db.execute(
        select(Reaction.post_id, Reaction.kind)
        .where(Reaction.post_id.in_(post_ids), Reaction.user_id == user_id)
        .order_by(Reaction.kind)
    ):
        mine[post_id].append(kind)
    return dict(mine)


def _card(content: Content | None, user: AuthUser | None) -> Any:
    # A sermon made private after it was shared stops showing under the post.
    return content_card(content) if content is not None and visible_to(content, user) else None


def _author(
    post: Post, author_id: str, authors: dict[str, str], user: AuthUser | None
) -> AuthorOut | None:
    if not shows_author(post, author_id, user):
        return None
    return AuthorOut(id=author_id, name=authors.get(author_id, "Member"))


async def comments_out(
    db: AsyncSession, post: Post | None, comments: list[Comment], user: AuthUser | None
) -> list[CommentOut]:
    """Top-level comments with their replies nested, oldest first, as `user` may see them."""
    shown = [c for c in comments if sees_comment(c, user)]
    authors = await names(db, {c.author_id for c in shown})
    out = {c.id: comment_out(post, c, authors, user) for c in shown}
    top: list[CommentOut] = []
    for comment in shown:
        if comment.parent_id is None:
            top.append(out[comment.id])
        elif comment.parent_id in out:
            out[comment.parent_id].replies.append(out[comment.id])
    return top


def comment_out(
    post: Post | None, comment: Comment, authors: dict[str, str], user: AuthUser | None
) -> CommentOut:
    author = (
        _author(post, comment.author_id, authors, user)
        if post is not None
        else AuthorOut(id=comment.author_id, name=authors.get(comment.author_id, "Member"))
    )
    return CommentOut(
        id=comment.id,
        post_id=comment.post_id,
        content_id=comment.content_id,
        parent_id=comment.parent_id,
        author=author,
        text=comment.text,
        status=comment.status,
        created_at=comment.created_at,
        edited_at=comment.edited_at,
    )


def report_out(report: Report) -> ReportOut:
    """A report as its reporter sees it: what they reported and where it stands."""
    return ReportOut(
        id=report.id,
        target_type=report.target_type,
        target_id=report.target_id,
        status=report.status,
        created_at=report.created_at,
    )
