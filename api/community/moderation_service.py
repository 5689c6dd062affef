"""What moderators do: hide, remove, restore or approve a post or comment, dismiss a report,
mute a member; each kept in the audit log with who did it and why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.community.service import remove_images
from models import Comment, ModerationAction, Mute, Post, Report, new_id, utcnow
from models.upsert import dialect_insert
from pipelines.storage import Storage

Action = Literal["hide", "remove", "restore", "approve"]
STATUS_AFTER: dict[str, str] = {
    "hide": "hidden",
    "remove": "removed",
    "restore": "visible",
    "approve": "visible",
}


def record(
    db: AsyncSession,
    moderator: AuthUser,
    action: str,
    target_type: str,
    target_id: str,
    reason: str,
    **details: Any,
) -> ModerationAction:
    entry = ModerationAction(
        moderator_id=moderator.id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        details=details,
        created_at=utcnow(),
    )
    db.add(entry)
    return entry


async def resolve_reports(
    db: AsyncSession, moderator: AuthUser, target_type: str, target_id: str, status: str
) -> None:
    await db.execute(
        update(Report)
        .where(
            Report.target_type == target_type,
            Report.target_id == target_id,
            Report.status == "open",
        )
        .values(status=status, resolved_by=moderator.id, resolved_at=utcnow())
    )


async def moderate_post(
    db: AsyncSession, storage: Storage, post: Post, moderator: AuthUser, action: str, reason: str
) -> None:
    before = post.status
    post.status = STATUS_AFTER[action]
    if action == "remove":
        # Gone for good: its images leave storage, not only the page.
        await remove_images(storage, post)
    await resolve_reports(db, moderator, "post", post.id, "resolved")
    record(db, moderator, action, "post", post.id, reason, status_before=before)


async def moderate_comment(
    db: AsyncSession, comment: Comment, moderator: AuthUser, action: str, reason: str
) -> None:
    before = comment.status
    comment.status = STATUS_AFTER[action]
    await resolve_reports(db, moderator, "comment", comment.id, "resolved")
    record(db, moderator, action, "comment", comment.id, reason, status_before=before)


async def dismiss_report(
    db: AsyncSession, report: Report, moderator: AuthUser, reason: str
) -> None:
    report.status, report.resolved_by, report.resolved_at = "dismissed", moderator.id, utcnow()
    record(db, moderator, "dismiss_report", "report", report.id, reason)


async def mute(
    db: AsyncSession, user_id: str, scope: str, minutes: int, moderator: AuthUser, reason: str
) -> Mute:
    """Mute (or re-mute, replacing the time) a member in `scope` for `minutes`."""
    until = utcnow() + timedelta(minutes=minutes)
    values = {
        "id": new_id(),
        "user_id": user_id,
        "scope": scope,
        "until": until,
        "created_by": moderator.id,
        "created_at": utcnow(),
    }
    insert = dialect_insert(db, Mute, values)
    await db.execute(
        insert.on_conflict_do_update(
            index_elements=["user_id", "scope"],
            set_={"until": until, "created_by": moderator.id, "created_at": utcnow()},
        )
    )
    record(db, moderator, "mute", "user", user_id, reason, scope=scope, minutes=minutes)
    row = await db.scalar(select(Mute).where(Mute.user_id == user_id, Mute.scope == scope))
    assert row is not None
    return row


async def unmute(db: AsyncSession, user_id: str, scope: str, moderator: AuthUser) -> None:
    row = await db.scalar(select(Mute).where(Mute.user_id == user_id, Mute.scope == scope))
    if row is not None:
        await db.delete(row)
    record(db, moderator, "unmute", "user", user_id, "", scope=scope)
