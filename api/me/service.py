"""A listener's progress and favourites: written cheaply, read back across their devices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from api.auth.tokens import AuthUser
from api.content.cards import content_card
from api.me.schemas import ContinueItem, ContinuePage, FavouriteItem, FavouritePage
from api.playlists.service import CARD_COLUMNS
from models import Content, Favourite, PlaybackProgress, table_of, utcnow
from models.catalog.cursor import decode_cursor, encode_cursor
from models.errors import BadCursor
from models.upsert import dialect_insert
from models.visibility import visible_to_anyone

# The end of a sermon is its closing prayer and notices: this close to the end is "finished".
FINISHED_FRACTION = 0.95
FINISHED_REMAINING_S = 30.0


def is_finished(position: float, duration: float | None, said_finished: bool) -> bool:
    if said_finished:
        return True
    if not duration:
        return False
    return position >= duration * FINISHED_FRACTION or duration - position <= FINISHED_REMAINING_S


async def save_progress(
    db: AsyncSession, user_id: str, content_id: str, position: float, finished: bool
) -> None:
    """One statement: insert the row, or move it only when the position or state changed (a
    player repeating the same second writes nothing: no row version, no WAL)."""
    values = {
        "user_id": user_id,
        "content_id": content_id,
        "position": position,
        "finished": finished,
        "updated_at": utcnow(),
    }
    table = table_of(PlaybackProgress)
    insert = dialect_insert(db, PlaybackProgress, values)
    changed = or_(
        table.c.position != insert.excluded.position,
        table.c.finished != insert.excluded.finished,
    )
    await db.execute(
        insert.on_conflict_do_update(
            index_elements=["user_id", "content_id"],
            set_={
                "position": insert.excluded.position,
                "finished": insert.excluded.finished,
                "updated_at": insert.excluded.updated_at,
            },
            where=changed,
        )
    )


async def add_favourite(db: AsyncSession, user_id: str, content_id: str) -> None:
    """Idempotent: a second tap (or a second device) finds the row there and changes nothing."""
    values = {"user_id": user_id, "content_id": content_id, "created_at": utcnow()}
    await db.execute(dialect_insert(db, Favourite, values).on_conflict_do_nothing())


def _mine_or_visible(user: AuthUser) -> ColumnElement[bool]:
    """Content the listener may still open: theirs (or any, for admins), or visible to anyone.
    Checked again per row with the one rule (models.visibility) after the query."""
    if user.is_admin:
        return true()
    return or_(Content.owner_id == user.id, Content.live_generation.is_not(None))


def _keyset(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    after = decode_cursor(cursor)
    try:
        return datetime.fromisoformat(str(after.key)), after.id
    except ValueError:
        raise BadCursor("the cursor is not one this API gave out") from None


def _may_open(content: Content, user: AuthUser) -> bool:
    return user.is_admin or content.owner_id == user.id or visible_to_anyone(content)


async def continue_page(
    db: AsyncSession, user: AuthUser, limit: int, cursor: str | None
) -> ContinuePage:
    """Started and not finished, most recently played first."""
    query = (
        select(PlaybackProgress, Content)
        .join(Content, Content.id == PlaybackProgress.content_id)
        .options(CARD_COLUMNS)
        .where(
            PlaybackProgress.user_id == user.id,
            PlaybackProgress.finished.is_(False),
            PlaybackProgress.position > 0,
            _mine_or_visible(user),
        )
    )
    after = _keyset(cursor)
    if after is not None:
        query = query.where(
            tuple_(PlaybackProgress.updated_at, PlaybackProgress.content_id) < tuple_(*after)
        )
    query = query.order_by(
        PlaybackProgress.updated_at.desc(), PlaybackProgress.content_id.desc()
    ).limit(limit + 1)
    rows = list(await db.execute(query))
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        ContinueItem(content=content_card(c), position=p.position, updated_at=p.updated_at)
        for p, c in rows
        if _may_open(c, user)
    ]
    last = rows[-1][0] if more and rows else None
    return ContinuePage(
        items=items,
        next_cursor=encode_cursor(last.updated_at.isoformat(), last.content_id) if last else None,
    )


async def favourite_page(
    db: AsyncSession, user: AuthUser, limit: int, cursor: str | None
) -> FavouritePage:
    query = (
        select(Favourite, Content)
        .join(Content, Content.id == Favourite.content_id)
        .options(CARD_COLUMNS)
        .where(Favourite.user_id == user.id, _mine_or_visible(user))
    )
    after = _keyset(cursor)
    if after is not None:
        query = query.where(tuple_(Favourite.created_at, Favourite.content_id) < tuple_(*after))
    query = query.order_by(Favourite.created_at.desc(), Favourite.content_id.desc()).limit(
        limit + 1
    )
    rows = list(await db.execute(query))
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        FavouriteItem(content=content_card(c), created_at=f.created_at)
        for f, c in rows
        if _may_open(c, user)
    ]
    last = rows[-1][0] if more and rows else None
    return FavouritePage(
        items=items,
        next_cursor=encode_cursor(last.created_at.isoformat(), last.content_id) if last else None,
    )
