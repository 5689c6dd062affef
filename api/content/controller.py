"""The content API: create a draft, stream its source up, read it back, get playback URLs."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import creators_only, ensure_can_change
from api.auth.tokens import AuthUser
from api.content.playback import playback_for
from api.content.schemas import ContentIn, ContentOut, PlaybackOut, SourceOut
from api.content.service import content_out, load_content
from api.content.source import receive_source, source_key
from api.errors import Conflict, InvalidInput
from api.messages import send_advance
from models import Content, Series, utcnow
from pipelines.storage import Storage
from settings import Settings
from workers.orchestrator import start_generation


class ContentController(Controller):
    path = "/content"
    tags = ["content"]

    @post("/", guards=[creators_only], status_code=201, summary="Create a draft (creators)")
    async def create(
        self, data: JSONBody[ContentIn], db: NamedDependency[AsyncSession], user: NamedDependency[AuthUser | None]
    ) -> ContentOut:
        assert user is not None
        if data.series_id and await db.get(Series, data.series_id) is None:
            raise InvalidInput("series_id names no series")
        content = Content(
            owner_id=user.id, kind=data.kind, title=data.title, description=data.description,
            speaker=data.speaker, series_id=data.series_id, scripture=[{"text": s} for s in data.scripture],
            tags=data.tags, language=data.language, recorded_date=data.recorded_date,
            visibility="private", status="draft",
        )
        db.add(content)
        await db.commit()
        return await content_out(db, content, user)

    @get("/{content_id:str}", summary="Metadata, status, jobs and assets")
    async def read(
        self, content_id: FromPath[str], db: NamedDependency[AsyncSession], user: NamedDependency[AuthUser | None]
    ) -> ContentOut:
        return await content_out(db, await load_content(db, content_id, user), user)

    @put(
        "/{content_id:str}/source",
        request_max_body_size=None,
        status_code=202,
        summary="Stream the source file up as the request body; processing starts when it is whole",
    )
    async def upload_source(
        self,
        content_id: FromPath[str],
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
    ) -> SourceOut:
        content = await load_content(db, content_id, user)
        ensure_can_change(user, content.owner_id)
        if content.status in ("uploading", "processing"):
            raise Conflict(f"the content is {content.status}; wait for it to finish before sending a new source")
        await db.rollback()  # hold no transaction open while bytes stream in
        key = source_key(content_id, request.headers.get("x-filename", ""))
        size, sha256 = await receive_source(request, storage, key, settings.upload_max_bytes, settings.upload_part_size)
        content = (await db.scalars(select(Content).where(Content.id == content_id).with_for_update())).one()
        old_key = content.source_key
        content.source_key, content.source_bytes, content.source_sha256 = key, size, sha256
        content.media_type = None
        start_generation(db, content)  # type: ignore[arg-type]
        content.updated_at = utcnow()
        await db.commit()
        await send_advance(content_id)
        if old_key and old_key != key:
            storage.delete(old_key)
        return SourceOut(id=content.id, status=content.status, bytes=size, sha256=sha256, generation=content.generation)

    @get("/{content_id:str}/playback", summary="CDN URLs for the player")
    async def playback(
        self,
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> PlaybackOut:
        content = await load_content(db, content_id, user)
        return await playback_for(db, settings, content)
