"""Live services on the pages: the list, and one service (a countdown before it starts, the
stream while it is live, the recording after). Who may see a session is the API's
load_session/listed_for; the listener's LiveKit token comes from the API's own token route,
called by the page's script with the signed-in account's access token."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.live.chat_service import moderates_chat
from api.live.service import listed_for, load_session
from api.web.templating import page
from models import Content
from models.visibility import visible_to_anyone
from settings import Settings


async def recording_of(db: AsyncSession, content_id: str | None) -> Content | None:
    """The service's recording once anyone may play it (the owner sees it in the studio)."""
    if not content_id:
        return None
    content = await db.get(Content, content_id)
    return content if content is not None and visible_to_anyone(content) else None


class LivePages(Controller):
    include_in_schema = False

    @get("/live", name="live_list")
    async def sessions(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> Template:
        rows = list(await db.scalars(listed_for(user).limit(50)))
        return page(request, "live_list.html", title="Live services", sessions=rows)

    @get("/live/{session_id:str}", name="live")
    async def session(
        self,
        request: Request[Any, Any, Any],
        session_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> Template:
        live = await load_session(db, session_id, user)
        return page(
            request,
            "live.html",
            title=live.title,
            live=live,
            recording=await recording_of(db, live.content_id),
            api_token=page_token(settings, user),
            guests=settings.live_guests and live.visibility != "private",
            moderates=moderates_chat(live, user),
        )


def page_token(settings: Settings, user: AuthUser | None) -> str:
    """A short-lived API access token for the page's own script to call the JSON API as the
    signed-in account (the API's guards then decide, as for any client)."""
    from api.auth.tokens import create_access_token

    return create_access_token(settings, user) if user is not None else ""
