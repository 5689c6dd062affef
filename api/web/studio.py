"""The media team's pages: their content by state, the upload page, and one content's page
(processing progress, metadata, publishing, reprocess, delete, audio in other languages).

The pages' scripts do the work through the JSON API itself (create, upload, PATCH, publish,
reprocess, delete, the events stream) with the signed-in account's access token, so every rule,
check and message is the API's own; a wrong scripture reference shows the API's sentence.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import creators_only
from api.auth.tokens import AuthUser
from api.community.content_comments import comments_enabled
from api.content.added_track_service import track_states
from api.content.service import content_out, load_owned_content
from api.web.live import page_token
from api.web.templating import page
from models import Content, Series
from models.scripture import ScriptureError, parse_references
from settings import Settings

# The studio's groups, in the order a creator looks for them.
GROUPS = ("failed", "processing", "uploading", "draft", "scheduled", "published", "unpublished")


def group_of(content: Content) -> str:
    if content.status != "ready":
        return content.status
    if content.published_at is not None:
        return "published"
    return "scheduled" if content.publish_at is not None else "unpublished"


async def own_series(db: AsyncSession, user: AuthUser) -> list[Series]:
    rows = await db.scalars(
        select(Series).where(Series.owner_id == user.id).order_by(Series.title).limit(200)
    )
    return list(rows)


class StudioPages(Controller):
    path = "/studio"
    include_in_schema = False
    guards = [creators_only]

    @get("/", name="studio")
    async def studio(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> Template:
        assert user is not None
        rows = await db.scalars(
            select(Content).where(Content.owner_id == user.id).order_by(Content.updated_at.desc())
        )
        groups: dict[str, list[Content]] = {name: [] for name in GROUPS}
        for content in rows:
            groups.setdefault(group_of(content), []).append(content)
        return page(request, "studio.html", title="Studio", groups=groups)

    @get("/new", name="studio_new")
    async def new(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> Template:
        return page(
            request, "studio_new.html", title="Upload", api_token=page_token(settings, user),
            direct=settings.is_s3, part_size=settings.upload_part_size,
        )  # fmt: skip

    @get("/scripture", name="studio_scripture")
    async def scripture(self, text: FromQuery[str] = "") -> Response[dict[str, Any]]:
        """Checks references as the creator types, with the parser the API saves them with."""
        texts = [part.strip() for part in text.split(";") if part.strip()]
        try:
            refs = parse_references(texts)
        except ScriptureError as exc:
            return Response({"code": "invalid_input", "detail": str(exc)}, status_code=422)
        return Response({"refs": [msgspec.to_builtins(ref) for ref in refs]})

    @get("/{content_id:str}", name="studio_content")
    async def content(
        self,
        request: Request[Any, Any, Any],
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> Template:
        found = await load_owned_content(db, content_id, user)
        return page(
            request,
            "studio_content.html",
            title=found.title,
            content=await content_out(db, found, user),
            group=group_of(found),
            series=await own_series(db, user) if user else [],
            # Audio in other languages is added to a processed video (an interpreter's).
            tracks=await track_states(db, found) if found.media_type == "video" else None,
            comments=await comments_enabled(db, found.id),
            api_token=page_token(settings, user),
        )
