"""A sermon's comments on its player page: shown while its owner has them switched on, read
through the same services as `GET /api/v1/content/{id}/comments`, with a box for signed-in
members whose script writes through that API."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.community import service
from api.community.content_comments import comments_enabled
from api.community.schemas import CommentOut
from api.community.views import comments_out
from api.web.live import page_token
from models import Content
from settings import Settings

# The first conversations under a sermon; a church's sermon rarely gathers more.
COMMENTS_SHOWN = 100


@dataclass
class SermonComments:
    items: list[CommentOut]
    api_token: str  # a signed-in member's, for the box to write in; empty for visitors


async def sermon_comments(
    db: AsyncSession, settings: Settings, content: Content, user: AuthUser | None
) -> SermonComments | None:
    """The comments `user` may see, or None while the owner has comments off."""
    if not await comments_enabled(db, content.id):
        return None
    rows, _ = await service.thread(db, content_id=content.id, limit=COMMENTS_SHOWN)
    return SermonComments(
        items=await comments_out(db, None, rows, user), api_token=page_token(settings, user)
    )
