"""The moderation API (moderators and admins): the report queue, what the word list held back,
actions on posts and comments, mutes, the word list, and the audit log of all of it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import moderators_only
from api.auth.tokens import AuthUser
from api.community import moderation_service as moderation
from api.community.events import announce
from api.community.moderation_schemas import (
    ActionOut,
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
from api.community.schemas import AuthorOut, CommentOut, PostOut
from api.community.service import announce_post
from api.community.views import comment_out, names, posts_out
from api.errors import Conflict, InvalidInput, NotFound
from models import Comment, HeldWord, ModerationAction, Post, Report, User
from models.catalog.cursor import decode_cursor, encode_cursor
from models.community import COMMUNITY
from models.errors import BadCursor
from pipelines.storage import Storage
from settings import Settings

MAX_LIMIT = 100


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    decoded = decode_cursor(cursor)
    try:
        return datetime.fromisoformat(str(decoded.key)), decoded.id
    except ValueError:
        raise BadCursor("the cursor is not one this API gave out") from None


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
        query = select(Report).where(Report.status == status)
        after = _after(cursor)
        if after is not None:
            query = query.where(tuple_(Report.created_at, Report.id) > tuple_(*after))
        rows = list(await db.scalars(query.order_by(Report.created_at, Report.id).limit(limit + 1)))
        more, rows = len(rows) > limit, rows[:limit]
        items = [await self._view(db, settings, report, user) for report in rows]
        last = rows[-1] if more and rows else None
        return ReportPage(
            items=items,
            next_cursor=encode_cursor(last.created_at.isoformat(), last.id) if last else None,
        )

    @get("/held", summary="Posts and comments the word list held back for review")
    async def held(
        self,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> HeldOut:
        posts = list(
            await db.scalars(
                select(Post).where(Post.status == "held").order_by(Post.created_at).limit(200)
            )
        )
        comments = list(
            await db.scalars(
                select(Comment)
                .where(Comment.status == "held")
                .order_by(Comment.created_at)
                .limit(200)
            )
        )
        authors = await names(db, {c.author_id for c in comments})
        return HeldOut(
            posts=await posts_out(db, settings, posts, user),
            comments=[comment_out(None, c, authors, user) for c in comments],
        )

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
        if target.status != "visible":
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
        return await self._view(db, settings, report, user)

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
        return list(await db.scalars(select(HeldWord.word).order_by(HeldWord.word)))

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
        return list(await db.scalars(select(HeldWord.word).order_by(HeldWord.word)))

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
        query = select(ModerationAction)
        after = _after(cursor)
        if after is not None:
            query = query.where(
                tuple_(ModerationAction.created_at, ModerationAction.id) < tuple_(*after)
            )
        rows = list(
            await db.scalars(
                query.order_by(
                    ModerationAction.created_at.desc(), ModerationAction.id.desc()
                ).limit(limit + 1)
            )
        )
        more, rows = len(rows) > limit, rows[:limit]
        last = rows[-1] if more and rows else None
        return ActionPage(
            items=[
                ActionOut(
                    id=a.id,
                    moderator_id=a.moderator_id,
                    action=a.action,
                    target_type=a.target_type,
                    target_id=a.target_id,
                    reason=a.reason,
                    details=a.details or {},
                    created_at=a.created_at,
                )
                for a in rows
            ],
            next_cursor=encode_cursor(last.created_at.isoformat(), last.id) if last else None,
        )

    @staticmethod
    async def _view(
        db: AsyncSession, settings: Settings, report: Report, user: AuthUser | None
    ) -> ReportView:
        reporter = await names(db, {report.reporter_id})
        view = ReportView(
            id=report.id,
            target_type=report.target_type,
            target_id=report.target_id,
            reason=report.reason,
            status=report.status,
            created_at=report.created_at,
            reporter=AuthorOut(
                id=report.reporter_id, name=reporter.get(report.reporter_id, "Member")
            ),
        )
        if report.target_type == "post":
            target = await db.get(Post, report.target_id)
            if target is not None:
                (view.post,) = await posts_out(db, settings, [target], user)
        else:
            comment = await db.get(Comment, report.target_id)
            if comment is not None:
                authors = await names(db, {comment.author_id})
                view.comment = comment_out(None, comment, authors, user)
        return view
