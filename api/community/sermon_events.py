"""A sermon's comments reach its open pages live: each new, changed or removed comment is
announced on the sermon's own channel (`events.sermon_channel`) with who may see the sermon at
that moment, and every stream of that channel sends an event on only to a caller in that
audience (a sermon made private after a visitor opened its page stops reaching them)."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import can_change
from api.auth.tokens import AuthUser
from api.community.events import announce, sermon_channel
from api.community.views import MEMBER_VIEW, comment_out, names
from models import Comment, Content
from models.visibility import visible_to_anyone

Shown = Literal["comment_created", "comment_changed"]


def audience(content: Content) -> dict[str, Any]:
    """Who may see `content` now: anyone (public or unlisted, published, playable), or only its
    owner and admins (the same rule as `api.content.service.visible_to`)."""
    return {"anyone": visible_to_anyone(content), "owner_id": content.owner_id}


def reaches(event: dict[str, Any], user: AuthUser | None) -> bool:
    """Whether `user` may receive `event` of a sermon's channel; an event without an audience
    reaches nobody."""
    who = event.get("audience")
    if not isinstance(who, dict):
        return False
    return who.get("anyone") is True or can_change(user, str(who.get("owner_id", "")))


async def announce_comment(db: AsyncSession, kind: Shown, comment: Comment) -> None:
    """A visible comment as any member sees it. A changed one that is no longer visible (held by
    the word list, hidden or removed by a moderator) is announced as removed, so open pages drop
    it; a new one held back is not announced at all."""
    if comment.content_id is None or (kind == "comment_created" and comment.status != "visible"):
        return
    content = await db.get(Content, comment.content_id)
    if content is None:
        return
    if comment.status != "visible":
        await announce_removed(content, comment.id)
        return
    shown = comment_out(None, comment, await names(db, {comment.author_id}), MEMBER_VIEW)
    await announce(kind, sermon_channel(content.id), comment=shown, audience=audience(content))


async def announce_removed(content: Content, comment_id: str) -> None:
    await announce(
        "comment_removed",
        sermon_channel(content.id),
        content_id=content.id,
        comment_id=comment_id,
        audience=audience(content),
    )
