"""A listener's own things: where they are in each content (every device resumes there), what
they started and did not finish, and their favourites."""

from __future__ import annotations

from litestar import Controller, delete, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import delete as sql_delete
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import signed_in
from api.auth.tokens import AuthUser
from api.community.schemas import MyReactionsOut
from api.community.views import my_reactions
from api.content.service import load_content
from api.errors import InvalidInput, NotFound
from api.me.schemas import ContinuePage, FavouritePage, ProgressIn, ProgressOut
from api.me.service import add_favourite, continue_page, favourite_page, is_finished, save_progress
from models import Favourite, PlaybackProgress

MAX_LIMIT = 50


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit is between 1 and {MAX_LIMIT}")
    return limit


class MeController(Controller):
    path = "/me"
    tags = ["me"]
    guards = [signed_in]

    @put(
        "/progress/{content_id:str}",
        status_code=204,
        summary="Save the playback position (the player calls this every few seconds)",
    )
    async def save(
        self,
        content_id: FromPath[str],
        data: JSONBody[ProgressIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> None:
        assert user is not None
        content = await load_content(db, content_id, user)
        finished = is_finished(data.position, content.duration, data.finished)
        await save_progress(db, user.id, content.id, data.position, finished)
        await db.commit()

    @get(
        "/reactions",
        summary="The caller's reactions to the posts named (a feed page's `post_id`s)",
        description=f"Repeat `post_id` for each post, at most {MAX_LIMIT}.",
    )
    async def reactions(
        self,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        post_id: FromQuery[list[str]],
    ) -> MyReactionsOut:
        assert user is not None
        if not 1 <= len(post_id) <= MAX_LIMIT:
            raise InvalidInput(f"name between 1 and {MAX_LIMIT} posts", extra={"field": "post_id"})
        return MyReactionsOut(reactions=await my_reactions(db, post_id, user.id))

    @get("/progress/{content_id:str}", summary="Where to resume a content")
    async def progress(
        self,
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> ProgressOut:
        assert user is not None
        await load_content(db, content_id, user)
        row = await db.get(PlaybackProgress, (user.id, content_id))
        if row is None:
            raise NotFound("not started yet")
        return ProgressOut(
            content_id=row.content_id,
            position=row.position,
            finished=row.finished,
            updated_at=row.updated_at,
        )

    @get("/continue", summary="Started and not finished, most recently played first")
    async def continue_listening(
        self,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        limit: FromQuery[int] = 20,
        cursor: FromQuery[str | None] = None,
    ) -> ContinuePage:
        assert user is not None
        return await continue_page(db, user, _limit(limit), cursor)

    @get("/favourites", summary="Favourites, newest first")
    async def favourites(
        self,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        limit: FromQuery[int] = 20,
        cursor: FromQuery[str | None] = None,
    ) -> FavouritePage:
        assert user is not None
        return await favourite_page(db, user, _limit(limit), cursor)

    @put("/favourites/{content_id:str}", status_code=204, summary="Make a content a favourite")
    async def favourite(
        self,
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> None:
        assert user is not None
        await load_content(db, content_id, user)
        await add_favourite(db, user.id, content_id)
        await db.commit()

    @delete("/favourites/{content_id:str}", status_code=204, summary="No longer a favourite")
    async def unfavourite(
        self,
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> None:
        assert user is not None
        await db.execute(
            sql_delete(Favourite).where(
                Favourite.user_id == user.id, Favourite.content_id == content_id
            )
        )
        await db.commit()
