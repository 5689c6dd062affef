"""Content rules: who sees what, who changes what, and turning rows into responses."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import can_change, ensure_can_change
from api.auth.tokens import AuthUser
from api.content.schemas import AssetOut, ContentOut, ContentPatch, JobOut
from api.errors import NotFound
from models import Asset, Content, Job, live_assets
from models.visibility import visible_to_anyone


def visible_to(content: Content, user: AuthUser | None) -> bool:
    """Owners and admins see everything; others see live, published, public or unlisted content
    (unlisted: by its id only; the catalog and feeds list public content alone)."""
    return can_change(user, content.owner_id) or visible_to_anyone(content)


def apply_patch(
    content: Content, patch: ContentPatch, scripture: list[dict[str, Any]] | None
) -> None:
    """Copy the fields a PATCH sent; `scripture` arrives already parsed."""
    for field in (
        "title",
        "description",
        "speaker",
        "series_id",
        "tags",
        "language",
        "recorded_date",
        "visibility",
    ):
        value = getattr(patch, field)
        if value is not msgspec.UNSET:
            setattr(content, field, value)
    if scripture is not None:
        content.scripture = scripture


async def load_content(
    db: AsyncSession, content_id: str, user: AuthUser | None, *, lock: bool = False
) -> Content:
    """The content if the caller may see it; else 404, so ids of private content leak nothing."""
    query = select(Content).where(Content.id == content_id)
    if lock:
        query = query.with_for_update()
    content = (await db.scalars(query)).first()
    if content is None or not visible_to(content, user):
        raise NotFound("no such content")
    return content


async def load_owned_content(
    db: AsyncSession, content_id: str, user: AuthUser | None, *, lock: bool = False
) -> Content:
    """The content if the caller may change it: 404 when they cannot see it, 403 when they only
    may look."""
    content = await load_content(db, content_id, user, lock=lock)
    ensure_can_change(user, content.owner_id)
    return content


def job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        step=job.step,
        generation=job.generation,
        status=job.status,
        attempts=job.attempts,
        progress=job.progress,
        error=job.error,
        queued_at=job.queued_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        cpu_seconds=job.cpu_seconds,
        chunk=job.chunk,
        track=job.track,
    )


def asset_out(asset: Asset) -> AssetOut:
    return AssetOut(
        kind=asset.kind,
        key=asset.key,
        mime_type=asset.mime_type,
        bytes=asset.bytes,
        generation=asset.generation,
        width=asset.width,
        height=asset.height,
        bitrate=asset.bitrate,
        language=asset.language,
    )


async def content_out(db: AsyncSession, content: Content, user: AuthUser | None) -> ContentOut:
    owner_view = can_change(user, content.owner_id)
    jobs: list[JobOut] = []
    if owner_view:
        rows = await db.scalars(
            select(Job)
            .where(Job.content_id == content.id, Job.generation == content.generation)
            .order_by(Job.queued_at)
        )
        jobs = [job_out(j) for j in rows]
    return ContentOut(
        id=content.id,
        owner_id=content.owner_id,
        kind=content.kind,
        title=content.title,
        description=content.description,
        speaker=content.speaker,
        series_id=content.series_id,
        scripture=content.scripture or [],
        tags=content.tags or [],
        language=content.language,
        recorded_date=content.recorded_date,
        status=content.status,
        visibility=content.visibility,
        published_at=content.published_at,
        publish_at=content.publish_at,
        media_type=content.media_type,
        duration=content.duration,
        source_bytes=content.source_bytes if owner_view else None,
        source_sha256=content.source_sha256 if owner_view else None,
        generation=content.generation,
        live_generation=content.live_generation,
        loudness=content.loudness,
        error=content.error if owner_view else None,
        created_at=content.created_at,
        updated_at=content.updated_at,
        jobs=jobs,
        assets=[asset_out(a) for a in await live_assets(db, content)],
        invalidation=content.invalidation if owner_view else None,
        parent_id=content.parent_id,
        range_start_s=content.range_start_s,
        range_end_s=content.range_end_s,
    )
