"""What moderators read: the report queue, what the word list held back, the word list and the
audit log. The moderation API and the moderation page ask these same functions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.community.moderation_schemas import ActionOut, ActionPage, HeldOut, ReportPage, ReportView
from api.community.schemas import AuthorOut
from api.community.views import comment_out, names, posts_out
from models import Comment, HeldWord, ModerationAction, Post, Report
from models.catalog.cursor import decode_cursor, encode_cursor
from models.errors import BadCursor
from settings import Settings

# What the held list shows at once: more than a day's worth for a church's community.
HELD_MAX = 200


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    decoded = decode_cursor(cursor)
    try:
        return datetime.fromisoformat(str(decoded.key)), decoded.id
    except ValueError:
        raise BadCursor("the cursor is not one this API gave out") from None


async def report_page(
    db: AsyncSession,
    settings: Settings,
    user: AuthUser | None,
    *,
    status: str,
    limit: int,
    cursor: str | None,
) -> ReportPage:
    """Reports of one status, oldest first (the open ones are the queue)."""
    query = select(Report).where(Report.status == status)
    after = _after(cursor)
    if after is not None:
        query = query.where(tuple_(Report.created_at, Report.id) > tuple_(*after))
    rows = list(await db.scalars(query.order_by(Report.created_at, Report.id).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    items = [await report_view(db, settings, report, user) for report in rows]
    last = rows[-1] if more and rows else None
    return ReportPage(
        items=items,
        next_cursor=encode_cursor(last.created_at.isoformat(), last.id) if last else None,
    )


async def report_view(
    db: AsyncSession, settings: Settings, report: Report, user: AuthUser | None
) -> ReportView:
    """A report with what was reported, as a moderator sees it (its author always named)."""
    reporter = await names(db, {report.reporter_id})
    view = ReportView(
        id=report.id,
        target_type=report.target_type,
        target_id=report.target_id,
        reason=report.reason,
        status=report.status,
        created_at=report.created_at,
        reporter=AuthorOut(id=report.reporter_id, name=reporter.get(report.reporter_id, "Member")),
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


async def held_items(db: AsyncSession, settings: Settings, user: AuthUser | None) -> HeldOut:
    """Posts and comments the word list held back, oldest first."""
    posts = list(
        await db.scalars(
            select(Post).where(Post.status == "held").order_by(Post.created_at).limit(HELD_MAX)
        )
    )
    comments = list(
        await db.scalars(
            select(Comment)
            .where(Comment.status == "held")
            .order_by(Comment.created_at)
            .limit(HELD_MAX)
        )
    )
    authors = await names(db, {c.author_id for c in comments})
    return HeldOut(
        posts=await posts_out(db, settings, posts, user),
        comments=[comment_out(None, c, authors, user) for c in comments],
    )


async def word_list(db: AsyncSession) -> list[str]:
    return list(await db.scalars(select(HeldWord.word).order_by(HeldWord.word)))


async def action_page(db: AsyncSession, *, limit: int, cursor: str | None) -> ActionPage:
    """The audit log, newest first."""
    query = select(ModerationAction)
    after = _after(cursor)
    if after is not None:
        query = query.where(
            tuple_(ModerationAction.created_at, ModerationAction.id) < tuple_(*after)
        )
    rows = list(
        await db.scalars(
            query.order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc()).limit(
                limit + 1
            )
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
