"""The content API: create a draft, stream its source up, read it back, get playback URLs."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import creators_only, signed_in
from api.auth.tokens import AuthUser
from api.cdn_refresh import feed_paths, invalidate
from api.content import publishing
from api.content.playback import playback_cache_control, playback_for
from api.content.removal import delete_content
from api.content.schemas import (
    ContentIn,
    ContentOut,
    ContentPatch,
    PlaybackOut,
    PublishIn,
    SourceOut,
)
from api.content.service import apply_patch, content_out, load_content, load_owned_content
from api.content.source import accept_source, receive_content_file, source_key
from api.errors import Conflict, InvalidInput
from api.series.lookup import require_series
from models import Content, utcnow
from models.scripture import ScriptureError, parse_references
from pipelines.storage import Storage
from settings import Settings

MAX_PAGE = 200
MAX_OFFSET = 1_000_000


def _scripture(texts: list[str]) -> list[dict[str, Any]]:
    try:
        return [msgspec.to_builtins(ref) for ref in parse_references(texts)]
    except ScriptureError as exc:
        raise InvalidInput(str(exc), extra={"field": "scripture"}) from None


class ContentController(Controller):
    path = "/content"
    tags = ["content"]

    @post("/", guards=[creators_only], status_code=201, summary="Create a draft (creators)")
    async def create(
        self,
        data: JSONBody[ContentIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
    ) -> ContentOut:
        assert user is not None
        await require_series(db, data.series_id, user.id)
        content = Content(
            owner_id=user.id,
            kind=data.kind,
            title=data.title,
            description=data.description,
            speaker=data.speaker,
            series_id=data.series_id,
            scripture=_scripture(data.scripture),
            tags=data.tags,
            language=data.language,
            recorded_date=data.recorded_date,
            # Who may see it once published; nothing is published before it is ready.
            visibility=data.visibility,
            status="draft",
        )
        db.add(content)
        await db.commit()
        return await content_out(db, content, user)

    @get("/", guards=[signed_in], summary="The caller's own content, newest first")
    async def list_mine(
        self,
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        limit: FromQuery[int] = 50,
        offset: FromQuery[int] = 0,
    ) -> list[ContentOut]:
        assert user is not None
        if not 1 <= limit <= MAX_PAGE or not 0 <= offset <= MAX_OFFSET:
            raise InvalidInput(f"limit must be 1..{MAX_PAGE} and offset 0..{MAX_OFFSET}")
        rows = await db.scalars(
            select(Content)
            .where(Content.owner_id == user.id)
            .order_by(Content.created_at.desc(), Content.id)
            .limit(limit)
            .offset(offset)
        )
        return [await content_out(db, content, user) for content in rows.all()]

    @get("/{content_id:str}", summary="Metadata, status, jobs and assets")
    async def read(
        self,
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
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
        content = await load_owned_content(db, content_id, user)
        if content.status in ("uploading", "processing"):
            raise Conflict(
                f"the content is {content.status}; "
                "wait for it to finish before sending a new source"
            )
        generation = content.generation  # a source accepted meanwhile makes this one a 409
        await db.rollback()  # hold no transaction open while bytes stream in
        key = source_key(content_id, request.headers.get("x-filename", ""))
        size, sha256 = await receive_content_file(
            db,
            request,
            storage,
            content_id,
            key,
            settings.upload_max_bytes,
            settings.upload_part_size,
        )
        content = await accept_source(db, storage, content_id, key, size, sha256, generation)
        return SourceOut(
            id=content.id,
            status=content.status,
            bytes=size,
            sha256=sha256,
            generation=content.generation,
        )

    @get(
        "/{content_id:str}/playback",
        summary="CDN URLs for the player",
        opt={"response_cache": True},  # public answers only: see playback_cache_control
    )
    async def playback(
        self,
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> Response[PlaybackOut]:
        content = await load_content(db, content_id, user)
        answer = await playback_for(db, settings, content)
        return Response(answer, headers={"cache-control": playback_cache_control(content)})

    @patch("/{content_id:str}", summary="Change metadata (owner or admin): the fields sent")
    async def change(
        self,
        content_id: FromPath[str],
        data: JSONBody[ContentPatch],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> ContentOut:
        content = await load_owned_content(db, content_id, user, lock=True)
        if isinstance(data.series_id, str):
            await require_series(db, data.series_id, content.owner_id)
        old_series = content.series_id
        scripture = None if data.scripture is msgspec.UNSET else _scripture(data.scripture)
        apply_patch(content, data, scripture)
        content.updated_at = utcnow()
        await db.commit()
        if content.published_at is not None:
            await invalidate(settings, feed_paths(old_series) + feed_paths(content.series_id))
        return await content_out(db, content, user)

    @delete(
        "/{content_id:str}", status_code=204, summary="Delete it and every generation's objects"
    )
    async def remove(
        self,
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
    ) -> None:
        content = await load_owned_content(db, content_id, user, lock=True)
        await delete_content(db, settings, storage, content)

    @post("/{content_id:str}/publish", status_code=200, summary="Publish now, or at publish_at")
    async def publish(
        self,
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        data: JSONBody[PublishIn | None] = None,
    ) -> ContentOut:
        data = data or PublishIn()
        content = await load_owned_content(db, content_id, user, lock=True)
        if data.publish_at is not None and data.publish_at > utcnow():
            publishing.schedule(content, data.visibility, data.publish_at)
        else:
            publishing.publish_now(content, data.visibility)
        await db.commit()
        await publishing.announce(content)
        await invalidate(settings, feed_paths(content.series_id))
        return await content_out(db, content, user)

    @post(
        "/{content_id:str}/unpublish", status_code=200, summary="Out of the catalog and the feeds"
    )
    async def unpublish(
        self,
        content_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> ContentOut:
        content = await load_owned_content(db, content_id, user, lock=True)
        publishing.unpublish(content)
        await db.commit()
        await publishing.announce(content)
        await invalidate(settings, feed_paths(content.series_id))
        return await content_out(db, content, user)
