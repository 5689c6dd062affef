"""Abort direct uploads nobody finished: S3 keeps (and bills) the parts of an open multipart
upload forever, and the content would stay `uploading`. Periodic (`cnt clock`, hourly)."""

from __future__ import annotations

import logging
from datetime import UTC, timedelta

from sqlalchemy import select

from models import Content, Upload, utcnow
from pipelines.storage import storage_from_settings
from pipelines.storage.multipart import abort_upload, pending_uploads
from pipelines.storage.s3 import S3Storage
from settings import get_settings
from workers.db import session_scope

__all__ = ["abort_stale_uploads"]

log = logging.getLogger(__name__)


def abort_stale_uploads() -> int:
    """Abort every upload open longer than `upload_stale_after_s`, ours and any S3 still holds
    under `sources/` that our database forgot; returns how many were aborted."""
    settings = get_settings()
    storage = storage_from_settings(settings)
    if not isinstance(storage, S3Storage):
        return 0
    cutoff = utcnow() - timedelta(seconds=settings.upload_stale_after_s)
    with session_scope() as session:
        stale = session.scalars(
            select(Upload).where(Upload.status == "open", Upload.created_at <= cutoff)
        ).all()
        known = {(u.key, u.s3_upload_id) for u in session.scalars(select(Upload))}
        aborted = 0
        for upload in stale:
            abort_upload(storage, upload.key, upload.s3_upload_id)
            upload.status = "aborted"
            upload.updated_at = utcnow()
            content = session.get(Content, upload.content_id)
            if content is not None and content.status == "uploading":
                content.status = "draft"
            aborted += 1
    for orphan in pending_uploads(storage, "sources/"):
        initiated = orphan.initiated
        if initiated.tzinfo is None:
            initiated = initiated.replace(tzinfo=UTC)
        if (orphan.key, orphan.upload_id) in known or initiated > cutoff.astimezone(UTC):
            continue
        abort_upload(storage, orphan.key, orphan.upload_id)
        aborted += 1
    if aborted:
        log.info("aborted %d stale uploads", aborted)
    return aborted
