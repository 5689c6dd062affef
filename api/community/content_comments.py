"""Comments on a sermon (or any content): read by whoever may see it, written by members when
its owner has switched comments on."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import can_change, signed_in
from api.auth.rate_limit import STORE
from api.auth.tokens import AuthUser
from api.community import service, writing
from api.community.errors import CommentsClosed
from api.community.schemas import (
    CommentIn,
    CommentOut,
    CommentReportIn,
    CommentsSwitchIn,
    CommentsSwitchOut,
    ContentCommentPage,
    ReportOut,
)
from api.community.views import comment_out, comments_out, names, report_out, sees_comment
from api.content.service import load_content, load_owned_content
from api.errors import Forbidden, InvalidInput, NotFound
from models import Comment, ContentComments, utcnow
from models.upsert import dialect_insert
from settings import Settings


async def comments_enabled(db: AsyncSession, content_id: str) -> bool:
    switch = await db.get(ContentComments, content_id)
    return switch is not None and switch.enabled


class ContentCommentsController(Controller):
    path = "/content/{content_id:str}/comments"
    tags = ["community"]

    @get("/", summary="Comments on a content, oldest first, each with its replies")
    async def list_comments(
        self,
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        limit: FromQuery[int] = 50,
        cursor: FromQuery[str | None] = None,
    ) -> ContentCommentPage:
        if not 1 <= limit <= 100:
            raise InvalidInput("limit is between 1 and 100")
        content = await load_content(db, content_id, user)
        rows, more = await service.thread(db, content_id=content.id, limit=limit, cursor=cursor)
        top = [c for c in rows if c.parent_id is None]
        return ContentCommentPage(
            enabled=await comments_enabled(db, content.id),
            items=await comments_out(db, None, rows, user),
            next_cursor=service.next_cursor(top, more),
        )

    @post("/", guards=[signed_in], status_code=201, summary="Comment on a content, or reply")
    async def comment(
        self,
        request: Request[Any, Any, Any],
        content_id: FromPath[str],
        data: JSONBody[CommentIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> CommentOut:
        assert user is not None
        content = await load_content(db, content_id, user)
        if not await comments_enabled(db, content.id):
            raise CommentsClosed("comments are off for this content")
        comment = await writing.add_comment(
            db, request.app.stores.get(STORE), settings, user, data, content_id=content.id
        )
        return comment_out(None, comment, await names(db, {user.id}), user)

    @put(
        "/enabled",
        guards=[signed_in],
        summary="Switch comments on or off (the content's owner or an admin)",
    )
    async def switch(
        self,
        content_id: FromPath[str],
        data: JSONBody[CommentsSwitchIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> CommentsSwitchOut:
        content = await load_owned_content(db, content_id, user)
        values = {"content_id": content.id, "enabled": data.enabled, "updated_at": utcnow()}
        await db.execute(
            dialect_insert(db, ContentComments, values).on_conflict_do_update(
                index_elements=["content_id"],
                set_={"enabled": data.enabled, "updated_at": values["updated_at"]},
            )
        )
        await db.commit()
        return CommentsSwitchOut(content_id=content.id, enabled=data.enabled)

    @delete(
        "/{comment_id:str}",
        guards=[signed_in],
        status_code=204,
        summary="Delete a comment (its author, the content's owner, or a moderator)",
    )
    async def uncomment(
        self,
        content_id: FromPath[str],
        comment_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> None:
        assert user is not None
        content = await load_content(db, content_id, user)
        comment = await db.get(Comment, comment_id)
        if comment is None or comment.content_id != content.id:
            raise NotFound("no such comment on this content")
        allowed = (
            comment.author_id == user.id or can_change(user, content.owner_id) or user.is_moderator
        )
        if not allowed:
            raise Forbidden("only its author, the content's owner or a moderator deletes it")
        await db.delete(comment)
        await db.commit()

    @post(
        "/{comment_id:str}/reports",
        guards=[signed_in],
        status_code=201,
        summary="Report a comment to the moderators (it joins their queue)",
    )
    async def report(
        self,
        content_id: FromPath[str],
        comment_id: FromPath[str],
        data: JSONBody[CommentReportIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> ReportOut:
        assert user is not None
        content = await load_content(db, content_id, user)
        comment = await db.get(Comment, comment_id)
        if comment is None or comment.content_id != content.id or not sees_comment(comment, user):
            raise NotFound("no such comment on this content")
        report = await service.file_report(db, user, "comment", comment.id, data.reason)
        out = report_out(report)
        await db.commit()
        return out
