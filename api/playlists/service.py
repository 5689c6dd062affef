"""Playlist rules: who sees a playlist, which of its items each viewer sees, and keeping the
items' order."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from api.auth.middleware import can_change, ensure_can_change
from api.auth.tokens import AuthUser
from api.content.cards import content_card
from api.content.service import visible_to
from api.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from api.playlists.schemas import ItemOut, PlaylistOut, PlaylistPage
from api.web_images import image_urls
from models import Content, Playlist, PlaylistItem, utcnow
from models.catalog.cursor import decode_cursor, encode_cursor
from models.errors import BadCursor
from settings import Settings

# A playlist page is one query and one response; a thousand items is a long evening of sermons.
MAX_ITEMS = 1000
Scope = Literal["public", "curated", "mine"]

# What an item's card and the visibility rule read: not the probe or loudness documents.
CARD_COLUMNS = load_only(
    Content.id,
    Content.owner_id,
    Content.kind,
    Content.title,
    Content.speaker,
    Content.series_id,
    Content.media_type,
    Content.duration,
    Content.status,
    Content.live_generation,
    Content.visibility,
    Content.published_at,
)


def may_see(playlist: Playlist, user: AuthUser | None) -> bool:
    """Public and unlisted playlists are seen by anyone with the link; private ones by their owner
    and admins."""
    return playlist.visibility in ("public", "unlisted") or can_change(user, playlist.owner_id)


async def load_playlist(
    db: AsyncSession, playlist_id: str, user: AuthUser | None, *, lock: bool = False
) -> Playlist:
    query = select(Playlist).where(Playlist.id == playlist_id)
    if lock:
        query = query.with_for_update()
    playlist = (await db.scalars(query)).first()
    if playlist is None or not may_see(playlist, user):
        raise NotFound("no such playlist")
    return playlist


async def load_owned_playlist(
    db: AsyncSession, playlist_id: str, user: AuthUser | None
) -> Playlist:
    playlist = await load_playlist(db, playlist_id, user, lock=True)
    ensure_can_change(user, playlist.owner_id, "this playlist")
    return playlist


def ensure_may_curate(user: AuthUser, curated: bool) -> None:
    if curated and user.role not in ("creator", "admin"):
        raise Forbidden("only creators and admins publish the church's curated playlists")


async def item_rows(db: AsyncSession, playlist_id: str) -> list[tuple[PlaylistItem, Content]]:
    rows = await db.execute(
        select(PlaylistItem, Content)
        .join(Content, Content.id == PlaylistItem.content_id)
        .options(CARD_COLUMNS)
        .where(PlaylistItem.playlist_id == playlist_id)
        .order_by(PlaylistItem.position, PlaylistItem.id)
    )
    return [(item, content) for item, content in rows]


async def load_playlist_with_items(
    db: AsyncSession, playlist_id: str, user: AuthUser | None
) -> tuple[Playlist, list[tuple[PlaylistItem, Content]]]:
    """The playlist and its items in one query (a playlist page is read far more than it is
    changed: each round trip to the database was a good part of a page's time)."""
    rows = (
        await db.execute(
            select(Playlist, PlaylistItem, Content)
            .outerjoin(PlaylistItem, PlaylistItem.playlist_id == Playlist.id)
            .outerjoin(Content, Content.id == PlaylistItem.content_id)
            .options(CARD_COLUMNS)
            .where(Playlist.id == playlist_id)
            .order_by(PlaylistItem.position, PlaylistItem.id)
        )
    ).all()
    if not rows or not may_see(rows[0][0], user):
        raise NotFound("no such playlist")
    items = [(item, content) for _, item, content in rows if item is not None]
    return rows[0][0], items


def items_for(
    playlist: Playlist, rows: list[tuple[PlaylistItem, Content]], user: AuthUser | None
) -> list[ItemOut]:
    """The items `user` may see; the playlist's owner also sees that hidden ones exist."""
    owner_view = can_change(user, playlist.owner_id)
    shown: list[ItemOut] = []
    for item, content in rows:
        if visible_to(content, user):
            shown.append(
                ItemOut(
                    content_id=item.content_id,
                    position=item.position,
                    added_at=item.added_at,
                    content=content_card(content),
                )
            )
        elif owner_view:
            shown.append(
                ItemOut(
                    content_id=item.content_id,
                    position=item.position,
                    added_at=item.added_at,
                    available=False,
                )
            )
    return shown


def unchanged_until(settings: Settings, rows: list[tuple[PlaylistItem, Content]]) -> datetime:
    """Until when a playlist page stays as it is short of a write: the next publishing time of
    one of its items (it then shows up), bounded by RESPONSE_CACHE_NOTIFIED_S."""
    now = utcnow()
    until = now + timedelta(seconds=settings.response_cache_notified_s)
    for _, content in rows:
        if content.published_at is not None and now < content.published_at < until:
            until = content.published_at
    return until


def feed_url(settings: Settings, playlist: Playlist) -> str | None:
    if playlist.visibility == "private":
        return None
    return f"{settings.public_base_url.rstrip('/')}/api/v1/playlists/{playlist.id}/feed.xml"


def playlist_out(
    settings: Settings, playlist: Playlist, items: list[ItemOut] | None = None
) -> PlaylistOut:
    return PlaylistOut(
        id=playlist.id,
        owner_id=playlist.owner_id,
        title=playlist.title,
        description=playlist.description,
        cover_url=playlist.cover_url,
        cover=image_urls(settings, playlist.cover_image),
        visibility=playlist.visibility,
        curated=playlist.curated,
        created_at=playlist.created_at,
        updated_at=playlist.updated_at,
        feed_url=feed_url(settings, playlist),
        items=items or [],
    )


def listing(scope: Scope, user: AuthUser | None) -> Select[Playlist]:
    query = select(Playlist)
    if scope == "mine":
        if user is None:
            raise Unauthorized("sign in first: `mine` lists your own playlists")
        return query.where(Playlist.owner_id == user.id)
    query = query.where(Playlist.visibility == "public")
    return query.where(Playlist.curated.is_(True)) if scope == "curated" else query


async def playlist_page(
    db: AsyncSession,
    settings: Settings,
    query: Select[Playlist],
    limit: int,
    cursor: str | None,
) -> PlaylistPage:
    """Newest first, by keyset: (created_at, id) of the last playlist a page showed."""
    if cursor:
        after = decode_cursor(cursor)
        try:
            when = datetime.fromisoformat(str(after.key))
        except ValueError:
            raise BadCursor("the cursor is not one this API gave out") from None
        query = query.where(tuple_(Playlist.created_at, Playlist.id) < tuple_(when, after.id))
    query = query.order_by(Playlist.created_at.desc(), Playlist.id.desc()).limit(limit + 1)
    rows = list(await db.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        encode_cursor(rows[-1].created_at.isoformat(), rows[-1].id) if more and rows else None
    )
    return PlaylistPage(items=[playlist_out(settings, p) for p in rows], next_cursor=next_cursor)


async def add_item(
    db: AsyncSession, playlist: Playlist, content: Content, position: int | None
) -> None:
    rows = list(
        await db.scalars(
            select(PlaylistItem)
            .where(PlaylistItem.playlist_id == playlist.id)
            .order_by(PlaylistItem.position, PlaylistItem.id)
        )
    )
    if any(item.content_id == content.id for item in rows):
        raise Conflict("that content is already in the playlist")
    if len(rows) >= MAX_ITEMS:
        raise InvalidInput(f"a playlist holds at most {MAX_ITEMS} items")
    item = PlaylistItem(playlist_id=playlist.id, content_id=content.id, position=len(rows))
    db.add(item)
    at = len(rows) if position is None else min(position, len(rows))
    rows.insert(at, item)
    _renumber(rows)
    playlist.updated_at = utcnow()


async def remove_item(db: AsyncSession, playlist: Playlist, content_id: str) -> None:
    rows = list(
        await db.scalars(
            select(PlaylistItem)
            .where(PlaylistItem.playlist_id == playlist.id)
            .order_by(PlaylistItem.position, PlaylistItem.id)
        )
    )
    gone = [item for item in rows if item.content_id == content_id]
    if not gone:
        raise NotFound("that content is not in the playlist")
    await db.delete(gone[0])
    _renumber([item for item in rows if item.content_id != content_id])
    playlist.updated_at = utcnow()


async def reorder(db: AsyncSession, playlist: Playlist, content_ids: list[str]) -> None:
    rows = {
        item.content_id: item
        for item in await db.scalars(
            select(PlaylistItem).where(PlaylistItem.playlist_id == playlist.id)
        )
    }
    if len(content_ids) != len(set(content_ids)) or set(content_ids) != set(rows):
        raise InvalidInput(
            "send every content id of the playlist exactly once, in the new order",
            extra={"expected": len(rows), "received": len(content_ids)},
        )
    _renumber([rows[content_id] for content_id in content_ids])
    playlist.updated_at = utcnow()


def _renumber(items: list[PlaylistItem]) -> None:
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
