"""A member's new post and new comment, made one way for the JSON API and for the pages' forms:
the length and posting rate of the church's settings, no mute in force, an anonymous author
only on a prayer request, a sermon the member may see, the photo decoded within limits and
stored, the word list's hold; committed, then announced on the `community` channel (a sermon's
comment on that sermon's own channel, which only those who may see the sermon hear)."""

from __future__ import annotations

from litestar.stores.base import Store
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.community import sermon_events, service
from api.community.gate import ensure_length, ensure_not_muted, ensure_within_rate
from api.community.schemas import CommentIn, PostIn
from api.content.service import load_content
from api.errors import InvalidInput
from models import Comment, Post
from models.community import COMMUNITY
from pipelines.storage import Storage
from settings import Settings


async def create_post(
    db: AsyncSession,
    storage: Storage,
    store: Store,
    settings: Settings,
    user: AuthUser,
    data: PostIn,
    image: bytes | None,
) -> Post:
    """`image` is the photo's bytes (the API's base64 already decoded, a form's upload read)."""
    ensure_length(data.text, settings.community_post_max_chars)
    await ensure_not_muted(db, user, COMMUNITY)
    await ensure_within_rate(store, user, "posts", settings.community_posts_per_minute)
    if data.anonymous and data.kind != "prayer_request":
        raise InvalidInput(
            "only prayer requests can hide their author", extra={"field": "anonymous"}
        )
    if data.content_id is not None:
        await load_content(db, data.content_id, user)
    post = Post(
        author_id=user.id,
        kind=data.kind,
        text=data.text,
        anonymous=data.anonymous,
        content_id=data.content_id,
        status=await service.status_for(db, data.text),
    )
    db.add(post)
    await db.flush()
    if image is not None:
        await service.attach_image(storage, post, image)
    await db.commit()
    await service.announce_post(db, settings, post, "post_created")
    return post


async def add_comment(
    db: AsyncSession,
    store: Store,
    settings: Settings,
    user: AuthUser,
    data: CommentIn,
    *,
    post: Post | None = None,
    content_id: str | None = None,
) -> Comment:
    """A comment on `post` (already loaded as `user` may see it) or on the sermon `content_id`
    (its comments switched on), or a reply to one of its top-level comments."""
    ensure_length(data.text, settings.community_comment_max_chars)
    await ensure_not_muted(db, user, COMMUNITY)
    await ensure_within_rate(store, user, "comments", settings.community_comments_per_minute)
    post_id = post.id if post is not None else None
    await service.check_parent(db, data.parent_id, post_id=post_id, content_id=content_id)
    comment = Comment(
        post_id=post_id,
        content_id=content_id,
        parent_id=data.parent_id,
        author_id=user.id,
        text=data.text,
        status=await service.status_for(db, data.text),
    )
    db.add(comment)
    await db.commit()
    if post is None:
        await sermon_events.announce_comment(db, "comment_created", comment)
    else:
        await service.announce_comment(db, post, comment)
    return comment
