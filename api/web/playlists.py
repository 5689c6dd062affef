"""Playlists on the pages: the church's curated ones and a member's own (`/playlists`), and one
playlist (`/playlists/{id}`) whose items play in order in the page's player. Who sees a playlist
and which of its items is api.playlists.service's (the API's own rules): a sermon made private
after it was added is not on anyone's page but its owner's, and there only as "unavailable".
Changes (rename, reorder, remove, visibility) are the page's script calling the JSON API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import can_change
from api.auth.tokens import AuthUser
from api.errors import NotFound
from api.playlists.schemas import ItemOut
from api.playlists.service import items_for, listing, load_playlist_with_items, playlist_page
from api.web import library
from api.web.live import page_token
from api.web.templating import page
from api.web_images import image_urls
from settings import Settings

# Playlists shown of each list at a time; "More" shows the next ones (the API's keyset cursor).
LISTED = 50
# The page's player starts on the first item that can play; a playlist whose first few items are
# not ready yet (still processing) starts on a later one, found by asking these many at most.
FIRST_PLAYABLE_TRIES = 5


async def first_playable(
    db: AsyncSession, settings: Settings, items: list[ItemOut], user: AuthUser | None
) -> library.PlayerData | None:
    tries = 0
    for item in items:
        if not item.available or item.content is None or item.content.status != "ready":
            continue
        tries += 1
        try:
            data = await library.player(db, settings, item.content_id, user)
        except NotFound:
            continue
        if data.playback is not None:
            return data
        if tries >= FIRST_PLAYABLE_TRIES:
            break
    return None


class PlaylistPages(Controller):
    include_in_schema = False

    @get("/playlists", name="playlists")
    async def playlists(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        cursor: FromQuery[str] = "",
        list_: Annotated[Literal["curated", "mine"], QueryParameter(name="list")] = "curated",
    ) -> Template:
        """`cursor` (from a "More" link) continues the list `list`; the other starts over."""
        curated_from = cursor if list_ == "curated" and cursor else None
        mine_from = cursor if list_ == "mine" and cursor else None
        curated = await playlist_page(db, settings, listing("curated", user), LISTED, curated_from)
        mine = (
            await playlist_page(db, settings, listing("mine", user), LISTED, mine_from)
            if user is not None
            else None
        )
        return page(
            request,
            "playlists.html",
            title="Playlists",
            curated=curated.items,
            curated_more=curated.next_cursor,
            mine=mine.items if mine is not None else [],
            mine_more=mine.next_cursor if mine is not None else None,
            api_token=page_token(settings, user),
        )

    @get("/playlists/{playlist_id:str}", name="playlist")
    async def playlist(
        self,
        request: Request[Any, Any, Any],
        playlist_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> Template:
        found, rows = await load_playlist_with_items(db, playlist_id, user)
        items = items_for(found, rows, user)
        return page(
            request,
            "playlist.html",
            title=found.title,
            playlist=found,
            cover_images=image_urls(settings, found.cover_image),
            items=items,
            first=await first_playable(db, settings, items, user),
            owner=can_change(user, found.owner_id),
            api_token=page_token(settings, user),
            series=await library.series_titles(db),
        )
