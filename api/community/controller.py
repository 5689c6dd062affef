"""The community API: posts and prayer requests, their comments, reactions and reports.

Members (signed in) read and write; an anonymous prayer request's author is hidden from other
members in every answer and event (api/community/views.py decides); moderators see everything.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.audience import audience_viewer
from api.auth.middleware import signed_in
from api.auth.rate_limit import STORE
from api.auth.tokens import AuthUser
from api.community import service, writing
from api.community.events import announce
from api.community.gate import ensure_length, ensure_not_muted
from api.community.moderation_service import moderate_post
from api.community.schemas import (
    CommentIn,
    CommentOut,
    CommentPage,
    PostIn,
    PostOut,
    PostPage,
    PostPatch,
    ReactionIn,
    ReactionsOut,
    ReportIn,
    ReportOut,
)
from api.community.views import (
    comment_out,
    comments_out,
    load_post,
    names,
    posts_out,
    report_out,
)
from api.errors import Forbidden, InvalidInput, NotFound
from api.response_cache.middleware import BY_AUDIENCE_KEY
from models import Comment, Reaction, utcnow
from models.community import COMMUNITY
from models.upsert import dialect_insert
from pipelines.storage import Storage
from settings import Settings

MAX_LIMIT = 50


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit is between 1 and {MAX_LIMIT}")
    return limit


class PostsController(Controller):
    path = "/posts"
    tags = ["community"]
    guards = [signed_in]

    @post(
        "/",
        status_code=201,
        request_max_body_size=9_000_000,  # a base64 phone photo
        summary="Post, or ask for prayer (optionally without your name for other members)",
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[PostIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
    ) -> PostOut:
        assert user is not None
        image = service.decode_base64_image(data.image) if data.image else None
        store = request.app.stores.get(STORE)
        post = await writing.create_post(db, storage, store, settings, user, data, image)
        (out,) = await posts_out(db, settings, [post], user)
        return out

    @get(
        "/",
        summary="The community feed: visible posts, newest first",
        description=(
            "The same for every member (anonymous prayer requests without their author, except "
            "to moderators; a linked sermon's card only when it is public), so each API process "
            "keeps it for everyone of the caller's audience until a post, comment, reaction or "
            "name changes: `my_reactions` is always empty here, and "
            "`GET /api/v1/me/reactions?post_id=...` gives the caller's own for a page of posts."
        ),
        opt={"response_cache": "community", BY_AUDIENCE_KEY: True},
        cache_control=CacheControlHeader(private=True, no_cache=True),
    )
    async def feed(
        self,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        kind: FromQuery[Literal["post", "prayer_request"] | None] = None,
        limit: FromQuery[int] = 20,
        cursor: FromQuery[str | None] = None,
    ) -> PostPage:
        limit = _limit(limit)
        rows = list(await db.scalars(service.feed_query(kind, cursor).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        viewer = audience_viewer(user)
        return PostPage(
            items=await posts_out(db, settings, rows, viewer),
            next_cursor=service.next_cursor(rows, more),
        )

    @get("/{post_id:str}", summary="A post with its comments and its reaction counts by kind")
    async def read(
        self,
        post_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> PostOut:
        post = await load_post(db, post_id, user)
        (out,) = await posts_out(db, settings, [post], user)
        comments, _ = await service.thread(db, post_id=post.id)
        out.comments = await comments_out(db, post, comments, user)
        return out

    @patch(
        "/{post_id:str}",
        summary="Edit the text (author, within the edit window); mark a prayer answered",
    )
    async def change(
        self,
        post_id: FromPath[str],
        data: JSONBody[PostPatch],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> PostOut:
        assert user is not None
        post = await load_post(db, post_id, user, lock=True)
        if post.author_id != user.id:
            raise Forbidden("only its author changes a post")
        if data.text is not msgspec.UNSET:
            service.ensure_editable(post.author_id, post.created_at, user, settings)
            ensure_length(data.text, settings.community_post_max_chars)
            post.text, post.edited_at = data.text, utcnow()
            if post.status == "visible":
                post.status = await service.status_for(db, data.text)
        if data.answered is not msgspec.UNSET:
            if post.kind != "prayer_request":
                raise InvalidInput("only a prayer request is answered", extra={"field": "answered"})
            post.answered_at = utcnow() if data.answered else None
        await db.commit()
        await service.announce_post(db, settings, post, "post_changed")
        (out,) = await posts_out(db, settings, [post], user)
        return out

    @delete("/{post_id:str}", status_code=204, summary="Delete a post (its author or a moderator)")
    async def remove(
        self,
        post_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        storage: NamedDependency[Storage],
    ) -> None:
        assert user is not None
        post = await load_post(db, post_id, user, lock=True)
        if post.author_id != user.id and not user.is_moderator:
            raise Forbidden("only its author or a moderator deletes a post")
        if post.author_id != user.id:
            await moderate_post(db, storage, post, user, "remove", "deleted by a moderator")
        else:
            await service.delete_post(db, storage, post)
        await db.commit()
        await announce("post_removed", post_id=post_id)

    @get("/{post_id:str}/comments", summary="Comments, oldest first, each with its replies")
    async def comments(
        self,
        post_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        limit: FromQuery[int] = 50,
        cursor: FromQuery[str | None] = None,
    ) -> CommentPage:
        post = await load_post(db, post_id, user)
        rows, more = await service.thread(db, post_id=post.id, limit=_limit(limit), cursor=cursor)
        top = [c for c in rows if c.parent_id is None]
        return CommentPage(
            items=await comments_out(db, post, rows, user),
            next_cursor=service.next_cursor(top, more),
        )

    @post("/{post_id:str}/comments", status_code=201, summary="Comment, or reply to a comment")
    async def comment(
        self,
        request: Request[Any, Any, Any],
        post_id: FromPath[str],
        data: JSONBody[CommentIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> CommentOut:
        assert user is not None
        post = await load_post(db, post_id, user)
        store = request.app.stores.get(STORE)
        comment = await writing.add_comment(db, store, settings, user, data, post=post)
        out = comment_out(post, comment, await names(db, {user.id}), user)
        return out

    @delete(
        "/{post_id:str}/comments/{comment_id:str}",
        status_code=204,
        summary="Delete a comment (its author or a moderator)",
    )
    async def uncomment(
        self,
        post_id: FromPath[str],
        comment_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> None:
        assert user is not None
        await load_post(db, post_id, user)
        comment = await db.get(Comment, comment_id)
        if comment is None or comment.post_id != post_id:
            raise NotFound("no such comment on this post")
        if comment.author_id != user.id and not user.is_moderator:
            raise Forbidden("only its author or a moderator deletes a comment")
        await db.delete(comment)
        await db.commit()
        await announce("comment_removed", post_id=post_id, comment_id=comment_id)

    @post(
        "/{post_id:str}/reactions",
        status_code=200,
        summary="React (like, amen, praying): once per member",
    )
    async def react(
        self,
        post_id: FromPath[str],
        data: JSONBody[ReactionIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> ReactionsOut:
        assert user is not None
        post = await load_post(db, post_id, user)
        if post.status != "visible":
            raise NotFound("no such post")
        await ensure_not_muted(db, user, COMMUNITY)
        values = {"post_id": post.id, "user_id": user.id, "kind": data.kind, "created_at": utcnow()}
        await db.execute(dialect_insert(db, Reaction, values).on_conflict_do_nothing())
        await db.commit()
        return await self._reactions(db, post.id, user, announce_them=True)

    @delete("/{post_id:str}/reactions/{kind:str}", status_code=200, summary="Take a reaction back")
    async def unreact(
        self,
        post_id: FromPath[str],
        kind: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> ReactionsOut:
        assert user is not None
        post = await load_post(db, post_id, user)
        await db.execute(
            sql_delete(Reaction).where(
                Reaction.post_id == post.id, Reaction.user_id == user.id, Reaction.kind == kind
            )
        )
        await db.commit()
        return await self._reactions(db, post.id, user, announce_them=True)

    @post(
        "/{post_id:str}/reports",
        status_code=201,
        summary="Report the post, or one of its comments",
    )
    async def report(
        self,
        post_id: FromPath[str],
        data: JSONBody[ReportIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> ReportOut:
        assert user is not None
        post = await load_post(db, post_id, user)
        target_type, target_id = await service.post_report_target(db, post, data)
        report = await service.file_report(db, user, target_type, target_id, data.reason)
        out = report_out(report)
        await db.commit()
        return out

    @staticmethod
    async def _reactions(
        db: AsyncSession, post_id: str, user: AuthUser, *, announce_them: bool
    ) -> ReactionsOut:
        counts = {
            kind: int(n)
            for kind, n in await db.execute(
                select(Reaction.kind, func.count())
                .where(Reaction.post_id == post_id)
                .group_by(Reaction.kind)
            )
        }
        mine = sorted(
            await db.scalars(
                select(Reaction.kind).where(
                    Reaction.post_id == post_id, Reaction.user_id == user.id
                )
            )
        )
        if announce_them:
            await announce("reactions", post_id=post_id, reactions=counts)
        return ReactionsOut(post_id=post_id, reactions=counts, my_reactions=mine)
