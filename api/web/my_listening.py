"""A member's own listening on the pages: the home page's shelves (the church's curated
playlists, what they started and did not finish, their favourites) and what the player page
needs for them (where to resume, whether it is a favourite, their playlists to add it to).

Asked of the same services the JSON API uses (api.playlists.service, api.me.service), so a shelf
never shows what its viewer may not open."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.me.schemas import ContinueItem, FavouriteItem
from api.me.service import continue_page, favourite_page
from api.playlists.schemas import PlaylistOut
from api.playlists.service import listing, playlist_page
from api.web.live import page_token
from models import Favourite, PlaybackProgress, Playlist
from settings import Settings

# A shelf is a row of cards on the home page, not a listing: the rest are a click away.
SHELF_SIZE = 6
# The player's "Add to playlist" lists this many of the member's playlists, latest changed first.
PLAYLIST_CHOICES = 100


@dataclass
class HomeShelves:
    curated: list[PlaylistOut]
    continue_listening: list[ContinueItem] = field(default_factory=list)
    favourites: list[FavouriteItem] = field(default_factory=list)


async def home_shelves(db: AsyncSession, settings: Settings, user: AuthUser | None) -> HomeShelves:
    curated = await playlist_page(db, settings, listing("curated", user), SHELF_SIZE, None)
    shelves = HomeShelves(curated=curated.items)
    if user is not None:
        shelves.continue_listening = (await continue_page(db, user, SHELF_SIZE, None)).items
        shelves.favourites = (await favourite_page(db, user, SHELF_SIZE, None)).items
    return shelves


@dataclass
class PlaylistChoice:
    id: str
    title: str


@dataclass
class MemberOnPlayer:
    """The signed-in member's side of a player page (empty for a visitor)."""

    api_token: str = ""
    resume_at: float = 0.0
    favourite: bool = False
    playlists: list[PlaylistChoice] = field(default_factory=list)


async def member_on_player(
    db: AsyncSession, settings: Settings, user: AuthUser | None, content_id: str
) -> MemberOnPlayer:
    """Call after the content was loaded for `user` (load_content decided they may see it)."""
    if user is None:
        return MemberOnPlayer()
    progress = await db.get(PlaybackProgress, (user.id, content_id))
    rows = await db.execute(
        select(Playlist.id, Playlist.title)
        .where(Playlist.owner_id == user.id)
        .order_by(Playlist.updated_at.desc(), Playlist.id)
        .limit(PLAYLIST_CHOICES)
    )
    return MemberOnPlayer(
        api_token=page_token(settings, user),
        # A finished sermon starts again from the beginning, as streaming apps do.
        resume_at=progress.position if progress is not None and not progress.finished else 0.0,
        favourite=await db.get(Favourite, (user.id, content_id)) is not None,
        playlists=[PlaylistChoice(id=row.id, title=row.title) for row in rows],
    )
