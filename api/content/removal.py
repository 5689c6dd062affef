"""Deleting a content: its rows, the objects of every generation and its source, then the CDN."""

from __future__ import annotations

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from api.cdn_refresh import feed_paths, invalidate
from models import Content
from pipelines.storage import Storage
from settings import Settings


def _delete_objects(storage: Storage, content_id: str, source_key: str | None) -> None:
    storage.delete_prefix(f"media/{content_id}/")
    storage.delete_prefix(f"sources/{content_id}/")
    if source_key:  # a source uploaded directly to S3 may live elsewhere
        storage.delete(source_key)


async def delete_content(
    db: AsyncSession, settings: Settings, storage: Storage, content: Content
) -> None:
    """Rows first (assets, jobs, transcripts and uploads cascade), so nothing serves a dead key."""
    content_id, source_key, series_id = content.id, content.source_key, content.series_id
    await db.delete(content)
    await db.commit()
    await anyio.to_thread.run_sync(_delete_objects, storage, content_id, source_key)
    await invalidate(settings, [f"/media/{content_id}/*", *feed_paths(series_id)])
