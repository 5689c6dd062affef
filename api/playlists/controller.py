"""The playlists API: make, change, order and share playlists; a public one as a podcast feed."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import signed_in
from api.auth.tokens import AuthUser
from api.content.service import load_content
from api.errors import InvalidInput, NotFound
from api.playlists.cover import delete_cover, store_cover
from api.playlists.feed import playlist_channel
from api.playlists.schemas import (
    ItemIn,
    OrderIn,
    PlaylistIn,
    PlaylistOut,
    PlaylistPage,
    PlaylistPatch,
)
from api.playlists.service import (
    add_item,
    ensure_may_curate,
    item_rows,
    items_for,
    listing,
    load_owned_playlist,
    load_playlist,
    load_playlist_with_items,
    playlist_out,
    playlist_page,
    remove_item,
    reorder,
    unchanged_until,
)
from api.response_cache import keep_until
from api.series.feed_response import RSS, feed_response
from api.series.feeds import episodes_of
from api.web_images import read_image_body
from models import Playlist, utcnow
from pipelines.storage import Storage
from settings import Settings

MAX_LIMIT = 50


class PlaylistsController(Controller):
    path = "/playlists"
    tags = ["playlists"]

    @post("/", guards=[signed_in], status_code=201, summary="Make a playlist")
    async def create(
        self,
        data: JSONBody[PlaylistIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> PlaylistOut:
        assert user is not None
        ensure_may_curate(user, data.curated)
        playlist = Playlist(owner_id=user.id, **msgspec.structs.asdict(data))
        db.add(playlist)
        await db.commit()
        return playlist_out(settings, playlist)

    @get(
        "/",
        summary="Playlists: public ones, the church's curated ones, or the caller's own",
        description=(
            "`which` is `public` (default), `curated` (the church's own, for the home page) or "
            f"`mine` (signed in). Newest first; `limit` 1-{MAX_LIMIT}; pass `next_cursor` as "
            "`cursor`."
        ),
    )
    async def list_playlists(
        self,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        which: FromQuery[Literal["public", "curated", "mine"]] = "public",
        limit: FromQuery[int] = 20,
        cursor: FromQuery[str | None] = None,
    ) -> PlaylistPage:
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit is between 1 and {MAX_LIMIT}")
        return await playlist_page(db, settings, listing(which, user), limit, cursor)

    @get(
        "/{playlist_id:str}",
        summary="A playlist with the items the caller may see",
        # Anonymous answers of shared playlists are the same for everyone: api/response_cache
        # keeps them until a playlist, an item or a content changes, or a held-back item's
        # publishing time comes.
        opt={"response_cache": "playlists"},
    )
    async def read(
        self,
        playlist_id: FromPath[str],
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> Response[PlaylistOut]:
        playlist, rows = await load_playlist_with_items(db, playlist_id, user)
        out = playlist_out(settings, playlist, items_for(playlist, rows, user))
        shared = user is None and playlist.visibility != "private"
        cache_control = "public, max-age=15" if shared else "private, no-store"
        if shared:
            keep_until(request.scope, unchanged_until(settings, rows))
        return Response(out, headers={"Cache-Control": cache_control})

    @patch("/{playlist_id:str}", summary="Change a playlist (its owner or an admin)")
    async def change(
        self,
        playlist_id: FromPath[str],
        data: JSONBody[PlaylistPatch],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> PlaylistOut:
        playlist = await load_owned_playlist(db, playlist_id, user)
        assert user is not None
        if data.curated is not msgspec.UNSET:
            ensure_may_curate(user, data.curated)
        for field, value in msgspec.structs.asdict(data).items():
            if value is not msgspec.UNSET:
                setattr(playlist, field, value)
        playlist.updated_at = utcnow()
        await db.commit()
        rows = await item_rows(db, playlist.id)
        return playlist_out(settings, playlist, items_for(playlist, rows, user))

    @delete("/{playlist_id:str}", status_code=204, summary="Delete a playlist")
    async def remove(
        self,
        playlist_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        storage: NamedDependency[Storage],
    ) -> None:
        playlist = await load_owned_playlist(db, playlist_id, user)
        cover = playlist.cover_image
        await db.delete(playlist)
        await db.commit()
        await delete_cover(storage, cover)

    @put(
        "/{playlist_id:str}/cover",
        request_max_body_size=None,  # counted as it streams: a large upload is refused early
        summary="Upload the cover (JPEG, PNG, WebP or GIF as the body), replacing any before",
        description=(
            "Decoded within limits on bytes, dimensions and pixels (a decompression bomb is "
            "refused: 413 `image_too_large`; not an image: 422 `image_refused`) and stored "
            "resized in WebP and JPEG; `cover` lists the renditions."
        ),
    )
    async def set_cover(
        self,
        playlist_id: FromPath[str],
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
    ) -> PlaylistOut:
        playlist = await load_owned_playlist(db, playlist_id, user)
        new = await store_cover(storage, playlist.id, await read_image_body(request))
        old, playlist.cover_image = playlist.cover_image, new
        playlist.updated_at = utcnow()
        await db.commit()
        await delete_cover(storage, old)
        return await self._answer(db, settings, playlist, user)

    @delete("/{playlist_id:str}/cover", status_code=204, summary="Take the cover away")
    async def remove_cover(
        self,
        playlist_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        storage: NamedDependency[Storage],
    ) -> None:
        playlist = await load_owned_playlist(db, playlist_id, user)
        old, playlist.cover_image = playlist.cover_image, None
        playlist.updated_at = utcnow()
        await db.commit()
        await delete_cover(storage, old)

    @post(
        "/{playlist_id:str}/items",
        status_code=201,
        summary="Add a content at `position` (0 is first), or at the end",
    )
    async def add(
        self,
        playlist_id: FromPath[str],
        data: JSONBody[ItemIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> PlaylistOut:
        playlist = await load_owned_playlist(db, playlist_id, user)
        # A playlist takes only what its owner may see: no probing private ids through it.
        content = await load_content(db, data.content_id, user)
        await add_item(db, playlist, content, data.position)
        await db.commit()
        return await self._answer(db, settings, playlist, user)

    @put("/{playlist_id:str}/items", summary="Reorder: every content id of the playlist, in order")
    async def order(
        self,
        playlist_id: FromPath[str],
        data: JSONBody[OrderIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> PlaylistOut:
        playlist = await load_owned_playlist(db, playlist_id, user)
        await reorder(db, playlist, data.content_ids)
        await db.commit()
        return await self._answer(db, settings, playlist, user)

    @delete(
        "/{playlist_id:str}/items/{content_id:str}",
        status_code=204,
        summary="Take a content out of the playlist",
    )
    async def take_out(
        self,
        playlist_id: FromPath[str],
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> None:
        playlist = await load_owned_playlist(db, playlist_id, user)
        await remove_item(db, playlist, content_id)
        await db.commit()

    @get(
        "/{playlist_id:str}/feed.xml",
        summary="A public or unlisted playlist as a podcast feed (RSS 2.0), in playlist order",
        media_type=RSS,
        response_description="RSS 2.0; 304 when If-None-Match or If-Modified-Since still holds",
    )
    async def feed(
        self,
        playlist_id: FromPath[str],
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> Response[bytes]:
        # Podcast apps call anonymously: the feed is what anyone may see, whoever asks.
        playlist = await load_playlist(db, playlist_id, None)
        if playlist.visibility == "private":
            raise NotFound("no such playlist")
        rows = await item_rows(db, playlist.id)
        items = await episodes_of(db, [item.content_id for item, _ in rows])
        channel = await playlist_channel(db, settings, playlist)
        return feed_response(request, settings, channel, items)

    @staticmethod
    async def _answer(
        db: AsyncSession, settings: Settings, playlist: Playlist, user: AuthUser | None
    ) -> PlaylistOut:
        rows = await item_rows(db, playlist.id)
        return playlist_out(settings, playlist, items_for(playlist, rows, user))
