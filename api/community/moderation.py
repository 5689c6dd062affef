"""The moderation API (moderators and admins): the report queue, what the word list held back,
actions on posts and comments, mutes, the word list, and the audit log of all of it."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import moderators_only
from api.auth.tokens import AuthUser
from api.community import moderation_queue as queue
from api.community import moderation_service as moderation
from api.community import sermon_events
from api.community.events import announce
from api.community.moderation_schemas import (
    ActionPage,
    DismissIn,
    HeldOut,
    ModerateIn,
    MuteIn,
    MuteOut,
    ReportPage,
    ReportView,
    WordIn,
)
from api.community.schemas import CommentOut, PostOut
from api.community.service import announce_post
from api.community.views import comment_out, names, posts_out
from api.errors import Conflict, InvalidInput, NotFound
from models import Comment, HeldWord, Post, Report, User
from models.community import COMMUNITY
from pipelines.storage import Storage
from settings import Settings

MAX_LIMIT = 100


class ModerationController(Controller):
    path = "/moderation"
    tags = ["moderation"]
    guards = [moderators_only]

    @get("/reports", summary="Reports, oldest first (the queue: `status=open`)")
    async def reports(
        self,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        status: FromQuery[Literal["open", "resolved", "dismissed"]] = "open",
        limit: FromQuery[int] = 50,
        cursor: FromQuery[str | None] = None,
    ) -> ReportPage:
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit is between 1 and {MAX_LIMIT}")
        return await queue.report_page(
            db, settings, user, status=status, limit=limit, cursor=cursor
        )

    @get("/held", summary="Posts and comments the word list held back for review")
    async def held(
        self,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> HeldOut:
        return await queue.held_items(db, settings, user)

    @post(
        "/posts/{post_id:str}", status_code=200, summary="Hide, remove, restore or approve a post"
    )
    async def moderate_post(
        self,
        post_id: FromPath[str],
        data: JSONBody[ModerateIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
    ) -> PostOut:
        assert user is not None
        target = await db.get(Post, post_id, with_for_update=True)
        if target is None:
            raise NotFound("no such post")
        if target.status == "removed" and data.action != "remove":
            raise Conflict("a removed post is gone for good (its images were deleted)")
        await moderation.moderate_post(db, storage, target, user, data.action, data.reason)
        await db.commit()
        if target.status == "visible":
            await announce_post(db, settings, target, "post_created")
        else:
            await announce("post_removed", post_id=target.id)
        (out,) = await posts_out(db, settings, [target], user)
        return out

    @post(
        "/comments/{comment_id:str}",
        status_code=200,
        summary="Hide, remove, restore or approve a comment",
    )
    async def moderate_comment(
        self,
        comment_id: FromPath[str],
        data: JSONBody[ModerateIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> CommentOut:
        assert user is not None
        target = await db.get(Comment, comment_id, with_for_update=True)
        if target is None:
            raise NotFound("no such comment")
        await moderation.moderate_comment(db, target, user, data.action, data.reason)
        await db.commit()
        if target.content_id is not None:
            await sermon_events.announce_comment(db, "comment_changed", target)
        elif target.status != "visible":
            await announce("comment_removed", post_id=target.post_id, comment_id=target.id)
        authors = await names(db, {target.author_id})
        return comment_out(None, target, authors, user)

    @post(
        "/reports/{report_id:str}/dismiss",
        status_code=200,
        summary="Dismiss a report: nothing to act on",
    )
    async def dismiss(
        self,
        report_id: FromPath[str],
        data: JSONBody[DismissIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> ReportView:
        assert user is not None
        report = await db.get(Report, report_id)
        if report is None:
            raise NotFound("no such report")
        await moderation.dismiss_report(db, report, user, data.reason)
        await db.commit()
        return await queue.report_view(db, settings, report, user)

    @post("/mutes", status_code=201, summary="Mute a member in the community for some minutes")
    async def mute(
        self,
        data: JSONBody[MuteIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> MuteOut:
        assert user is not None
        if await db.get(User, data.user_id) is None:
            raise NotFound("no such member")
        row = await moderation.mute(db, data.user_id, COMMUNITY, data.minutes, user, data.reason)
        out = MuteOut(user_id=row.user_id, scope=row.scope, until=row.until)
        await db.commit()
        return out

    @delete("/mutes/{user_id:str}", status_code=204, summary="Unmute a member")
    async def unmute(
        self,
        user_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> None:
        assert user is not None
        await moderation.unmute(db, user_id, COMMUNITY, user)
        await db.commit()

    @get("/words", summary="The word list: posts and comments holding one wait for review")
    async def words(self, db: NamedDependency[AsyncSession]) -> list[str]:
        return await queue.word_list(db)

    @post("/words", status_code=201, summary="Add a word or phrase to the list")
    async def add_word(
        self,
        data: JSONBody[WordIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> list[str]:
        assert user is not None
        word = data.word.strip().lower()
        if await db.get(HeldWord, word) is None:
            db.add(HeldWord(word=word, created_by=user.id))
            moderation.record(db, user, "add_word", "word", word, "")
        await db.commit()
        return await queue.word_list(db)

    @delete("/words/{word:str}", status_code=204, summary="Take a word off the list")
    async def remove_word(
        self,
        word: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> None:
        assert user is not None
        row = await db.get(HeldWord, word.strip().lower())
        if row is not None:
            await db.delete(row)
            moderation.record(db, user, "remove_word", "word", row.word, "")
        await db.commit()

    @get("/log", summary="The audit log: every moderator action, newest first")
    async def log(
        self,
        db: NamedDependency[AsyncSession],
        limit: FromQuery[int] = 50,
        cursor: FromQuery[str | None] = None,
    ) -> ActionPage:
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit is between 1 and {MAX_LIMIT}")
        return await queue.action_page(db, limit=limit, cursor=cursor)
