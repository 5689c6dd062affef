"""The embeddable players: `/embed/{id}` for a sermon and `/embed/live` for the service live
now or next, for an <iframe> on the church's own website. Only these may be framed
(api/web/security.py: `frame-ancestors` from WEB_EMBED_ANCESTORS)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.web import library
from api.web.security import EMBED_OPT
from api.web.templating import page
from settings import Settings


class EmbedPages(Controller):
    path = "/embed"
    include_in_schema = False
    opt = {EMBED_OPT: True}

    @get("/live", name="embed_live")
    async def live(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> Template:
        service = await library.next_service(db, user)
        return page(request, "embed_live.html", title="Live", service=service)

    @get("/{content_id:str}", name="embed")
    async def sermon(
        self,
        request: Request[Any, Any, Any],
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        t: FromQuery[float] = 0.0,
    ) -> Template:
        data = await library.player(db, settings, content_id, user)
        return page(
            request, "embed.html", title=data.content.title, data=data, start=max(t, 0.0),
            url=f"{settings.public_base_url.rstrip('/')}/library/{content_id}",
        )  # fmt: skip
