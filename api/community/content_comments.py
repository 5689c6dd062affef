"""Comments on a sermon (or any content): read by whoever may see it, written by members when
its owner has switched comments on, and streamed live (`/events`, `/ws`) to whoever may see it:
each new, edited or removed comment (api/community/sermon_events.py)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, WebSocket, delete, get, patch, post, put, websocket
from litestar.channels import ChannelsPlugin
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import ServerSentEvent
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import can_change, current_user, signed_in
from api.auth.rate_limit import STORE
from api.auth.tokens import AuthUser
from api.community import sermon_events, service, writing
from api.community.errors import CommentsClosed
from api.community.events import event_stream, sermon_channel, socket_stream
from api.community.gate import ensure_length
from api.community.schemas import (
    CommentIn,
    CommentOut,
    CommentPatch,
    CommentReportIn,
    CommentsSwitchIn,
    CommentsSwitchOut,
    ContentCommentPage,
    ReportOut,
)
from api.community.views import comment_out, comments_out, names, report_out, sees_comment
from api.content.service import load_content, load_owned_content, visible_to
from api.errors import Forbidden, InvalidInput, NotFound
from api.event_streams import current_number
from models import Comment, Content, ContentComments, utcnow
from models.upsert import dialect_insert
from settings import Settings


async def _seen_comment(
    db: AsyncSession, content: Content, comment_id: str, user: AuthUser, *, lock: bool = False
) -> Comment:
    """The comment on `content` that `user` may see (locked for a change when `lock`), or 404."""
    comment = await db.get(Comment, comment_id, with_for_update=lock)
    if comment is None or comment.content_id != content.id or not sees_comment(comment, user):
        raise NotFound("no such comment on this content")
    return comment


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
        await sermon_events.announce_removed(content, comment_id)

    @patch(
        "/{comment_id:str}",
        guards=[signed_in],
        summary="Change a comment's text (its author, within the edit window)",
    )
    async def edit(
        self,
        content_id: FromPath[str],
        comment_id: FromPath[str],
        data: JSONBody[CommentPatch],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> CommentOut:
        assert user is not None
        content = await load_content(db, content_id, user)
        comment = await _seen_comment(db, content, comment_id, user, lock=True)
        service.ensure_editable(comment.author_id, comment.created_at, user, settings)
        ensure_length(data.text, settings.community_comment_max_chars)
        comment.text, comment.edited_at = data.text, utcnow()
        if comment.status == "visible":
            comment.status = await service.status_for(db, data.text)
        await db.commit()
        await sermon_events.announce_comment(db, "comment_changed", comment)
        return comment_out(None, comment, await names(db, {user.id}), user)

    @get(
        "/events",
        summary="Server-Sent Events of the content's comments: new, changed, removed",
        description=(
            "`comment_created` and `comment_changed` ({comment}), `comment_removed` "
            "({content_id, comment_id}), each with an SSE `id`, from now on; for whoever may see "
            "the content, signed in or not. An event goes only to a caller who may still see "
            "the content when it happens."
        ),
        media_type="text/event-stream",
        cache_control=None,
    )
    async def events(
        self,
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        channels: NamedDependency[ChannelsPlugin],
        state: State,
    ) -> ServerSentEvent:
        content = await load_content(db, content_id, user)
        # A sermon's page stays open for an hour: give the database connection back now.
        await db.close()
        channel = sermon_channel(content.id)
        after = await current_number(state.redis, channel)
        return event_stream(channels, channel, after, lambda e: sermon_events.reaches(e, user))

    @websocket("/ws")
    async def socket(
        self,
        socket: WebSocket[Any, Any, Any],
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        channels: NamedDependency[ChannelsPlugin],
    ) -> None:
        """The same events over a WebSocket (the access token may come as `?token=`)."""
        user = current_user(socket)
        content = await db.get(Content, content_id)
        await db.close()
        if content is None or not visible_to(content, user):
            await socket.close(code=4404, reason="no such content")
            return
        channel = sermon_channel(content.id)
        await socket_stream(socket, channels, channel, lambda e: sermon_events.reaches(e, user))

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
        comment = await _seen_comment(db, content, comment_id, user)
        report = await service.file_report(db, user, "comment", comment.id, data.reason)
        out = report_out(report)
        await db.commit()
        return out
