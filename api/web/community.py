"""The community's pages: the feed of posts and prayer requests, one post with its comments, and
the fragments the feed's script fetches when an event says something changed.

Everything is read through the API's own services (api.community: load_post, feed_query,
posts_out, comments_out), so a page shows exactly what the API answers the same member: an
anonymous prayer request's author is decided in api/community/views.py, never here. Writes go
through the JSON API from the pages' scripts, with the page's short-lived token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import signed_in
from api.auth.tokens import AuthUser
from api.community import service
from api.community.schemas import PostOut
from api.community.views import comments_out, load_post, posts_out
from api.web.live import page_token
from api.web.templating import page
from models import utcnow
from models.errors import DataError
from settings import Settings

# A screenful or two on a phone; "Older posts" pages on with the feed's keyset cursor.
FEED_PAGE = 20


def edit_open_after(settings: Settings) -> datetime:
    """Posts created after this moment may still be edited by their author (the API's window)."""
    return utcnow() - service.edit_window(settings)


async def one_post(
    db: AsyncSession, settings: Settings, post_id: str, user: AuthUser | None
) -> PostOut:
    """The post with its comments as `user` may see them (a 404 otherwise, as on the API)."""
    post = await load_post(db, post_id, user)
    (out,) = await posts_out(db, settings, [post], user)
    comments, _ = await service.thread(db, post_id=post.id)
    out.comments = await comments_out(db, post, comments, user)
    return out


class CommunityPages(Controller):
    path = "/community"
    include_in_schema = False
    guards = [signed_in]  # the community API is for members: a visitor is asked to sign in

    @get("/", name="community")
    async def feed(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        cursor: FromQuery[str] = "",
    ) -> Template:
        problem = ""
        try:
            rows = list(
                await db.scalars(service.feed_query(None, cursor or None).limit(FEED_PAGE + 1))
            )
        except DataError as exc:  # a cursor from elsewhere: the newest posts instead
            problem = str(exc)
            rows = list(await db.scalars(service.feed_query(None, None).limit(FEED_PAGE + 1)))
        more, rows = len(rows) > FEED_PAGE, rows[:FEED_PAGE]
        return page(
            request,
            "community.html",
            title="Community",
            posts=await posts_out(db, settings, rows, user),
            older=service.next_cursor(rows, more),
            problem=problem,
            newest=not cursor,  # new posts arrive live at the top of the first page only
            api_token=page_token(settings, user),
            edit_open_after=edit_open_after(settings),
        )

    @get("/{post_id:str}", name="community_post")
    async def post(
        self,
        request: Request[Any, Any, Any],
        post_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> Template:
        out = await one_post(db, settings, post_id, user)
        return page(
            request,
            "community_post.html",
            title="Prayer request" if out.kind == "prayer_request" else "Post",
            post=out,
            api_token=page_token(settings, user),
            edit_open_after=edit_open_after(settings),
        )

    @get("/{post_id:str}/card", name="community_card")
    async def card(
        self,
        request: Request[Any, Any, Any],
        post_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        comments: FromQuery[bool] = False,
    ) -> Template:
        """One post as the feed shows it to this member (with its comments on the post's own
        page): what the script puts in place when an event names the post."""
        out = await one_post(db, settings, post_id, user)
        return page(
            request,
            "community_card.html",
            post=out,
            with_comments=comments,
            edit_open_after=edit_open_after(settings),
        )
