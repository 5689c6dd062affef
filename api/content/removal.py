"""Deleting a content: its rows, the objects of every generation and its source, any direct
upload still open, then the CDN."""

from __future__ import annotations

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from api.cdn_refresh import feed_paths, invalidate
from models import Content
from pipelines.storage import Storage
from pipelines.storage.content_objects import delete_content_objects, source_prefix
from pipelines.storage.multipart import abort_upload, pending_uploads
from pipelines.storage.s3 import S3Storage
from settings import Settings


def _delete_objects(storage: Storage, content_id: str, source_key: str | None) -> None:
    delete_content_objects(storage, content_id, source_key)
    if isinstance(storage, S3Storage):
        # S3 keeps (and bills) the parts of an open multipart upload until it is aborted; a
        # complete that races this delete finds its upload gone and answers 404.
        for upload in pending_uploads(storage, source_prefix(content_id)):
            abort_upload(storage, upload.key, upload.upload_id)


async def delete_content(
    db: AsyncSession, settings: Settings, storage: Storage, content: Content
) -> None:
    """Rows first (assets, jobs, transcripts and uploads cascade), so nothing serves a dead key.

    What is still running finds the content gone and cleans up after itself: a streamed source
    still arriving is deleted and answered 404 (api/content/source.py), and a step still
    writing removes what it wrote when it ends (workers/gone_content.py). The clock's orphan
    sweep removes what a crash between the two left (workers/clock/orphans.py)."""
    content_id, source_key, series_id = content.id, content.source_key, content.series_id
    await db.delete(content)
    await db.commit()
    await anyio.to_thread.run_sync(_delete_objects, storage, content_id, source_key)
    await invalidate(settings, [f"/media/{content_id}/*", *feed_paths(series_id)])
