"""Direct uploads: start an S3 multipart upload, presign its parts, report what S3 holds, complete
it after checking every part, size and checksum, and hand the source to processing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.content.source import SourceSuperseded, accept_source, refuse_if_gone, source_key
from api.errors import (
    ChecksumMismatch,
    Conflict,
    InvalidInput,
    NotFound,
    UploadIncomplete,
    UploadSizeMismatch,
    UploadTooLarge,
)
from api.uploads.schemas import (
    CompleteIn,
    PartUrlOut,
    StoredPartOut,
    UploadCompletedOut,
    UploadIn,
    UploadOut,
)
from models import Content, Upload, utcnow
from pipelines.storage import Storage, multipart
from pipelines.storage.presigned import listener_client
from pipelines.storage.s3 import S3Storage
from settings import Settings

# Part URLs handed out at once: enough for a few minutes of sending, few enough to answer fast.
URL_BATCH = 100


def s3_of(storage: Storage) -> S3Storage:
    if not isinstance(storage, S3Storage):
        raise Conflict("direct uploads need S3 storage; stream the file with PUT /source instead")
    return storage


async def load_upload(db: AsyncSession, content: Content, upload_id: str) -> Upload:
    upload = await db.get(Upload, upload_id)
    if upload is None or upload.content_id != content.id:
        raise NotFound("no such upload")
    return upload


def _urls_expire(settings: Settings) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=settings.upload_url_ttl_s)


async def _part_urls(
    storage: S3Storage, upload: Upload, numbers: list[int], settings: Settings
) -> list[PartUrlOut]:
    urls = await anyio.to_thread.run_sync(
        multipart.part_urls,
        storage,
        upload.key,
        upload.s3_upload_id,
        numbers,
        settings.upload_url_ttl_s,
        listener_client(settings),
    )
    return [PartUrlOut(part_number=u.part_number, url=u.url) for u in urls]


def _out(upload: Upload, count: int, **fields: object) -> UploadOut:
    return UploadOut(
        upload_id=upload.id,
        content_id=upload.content_id,
        status=upload.status,
        bytes=upload.expected_bytes,
        part_size=upload.part_size,
        part_count=count,
        **fields,  # type: ignore[arg-type]
    )


async def _abort_open(db: AsyncSession, storage: S3Storage, content: Content) -> None:
    """A new start replaces any upload of this content left open (the client gave up on it)."""
    for old in await db.scalars(
        select(Upload).where(Upload.content_id == content.id, Upload.status == "open")
    ):
        await anyio.to_thread.run_sync(multipart.abort_upload, storage, old.key, old.s3_upload_id)
        old.status = "aborted"


async def start(
    db: AsyncSession, settings: Settings, storage: Storage, content: Content, data: UploadIn
) -> UploadOut:
    s3 = s3_of(storage)
    if data.bytes > settings.upload_max_bytes:
        raise UploadTooLarge(
            f"the file is {data.bytes} bytes; the limit is {settings.upload_max_bytes} bytes"
        )
    if content.status == "processing":
        raise Conflict("the content is processing; wait for it to finish before a new source")
    await _abort_open(db, s3, content)
    part_size = multipart.part_size_for(data.bytes, settings.upload_part_size)
    count = multipart.part_count(data.bytes, part_size)
    key = source_key(content.id, data.filename)
    s3_upload_id = await anyio.to_thread.run_sync(multipart.start_upload, s3, key)
    upload = Upload(
        content_id=content.id,
        s3_upload_id=s3_upload_id,
        key=key,
        part_size=part_size,
        expected_bytes=data.bytes,
        sha256=data.sha256,
        status="open",
    )
    db.add(upload)
    if content.status == "draft":
        # A ready content keeps serving its current generation while its new source arrives.
        content.status = "uploading"
        content.updated_at = utcnow()
    await db.commit()
    urls = await _part_urls(s3, upload, list(range(1, min(count, URL_BATCH) + 1)), settings)
    return _out(upload, count, part_urls=urls, urls_expire_at=_urls_expire(settings))


async def status(
    db: AsyncSession, settings: Settings, storage: Storage, upload: Upload
) -> UploadOut:
    """What S3 holds and fresh URLs for what is missing: resuming after a dropped connection or
    an expired URL is reading this and sending the missing parts."""
    s3 = s3_of(storage)
    count = multipart.part_count(upload.expected_bytes, upload.part_size)
    if upload.status != "open":
        return _out(upload, count)
    stored = await anyio.to_thread.run_sync(
        multipart.stored_parts, s3, upload.key, upload.s3_upload_id
    )
    have = {p.part_number for p in stored}
    missing = [n for n in range(1, count + 1) if n not in have]
    urls = await _part_urls(s3, upload, missing[:URL_BATCH], settings)
    return _out(
        upload,
        count,
        parts=[StoredPartOut(part_number=p.part_number, etag=p.etag, size=p.size) for p in stored],
        missing=missing,
        part_urls=urls,
        urls_expire_at=_urls_expire(settings),
    )


async def more_urls(
    settings: Settings, storage: Storage, upload: Upload, numbers: list[int]
) -> UploadOut:
    s3 = s3_of(storage)
    _require_open(upload)
    count = multipart.part_count(upload.expected_bytes, upload.part_size)
    beyond = sorted({n for n in numbers if n > count})
    if beyond:
        raise InvalidInput(f"the upload has {count} parts; there is no part {beyond[0]}")
    urls = await _part_urls(s3, upload, sorted(set(numbers)), settings)
    return _out(upload, count, part_urls=urls, urls_expire_at=_urls_expire(settings))


def _require_open(upload: Upload) -> None:
    if upload.status != "open":
        raise Conflict(f"the upload is {upload.status}")


def check_parts(
    upload: Upload, stored: list[multipart.StoredPart], sent: CompleteIn
) -> list[multipart.StoredPart]:
    """Every part present, none extra, sizes adding up, ETags as the client saw them."""
    count = multipart.part_count(upload.expected_bytes, upload.part_size)
    by_number = {p.part_number: p for p in stored}
    missing = [n for n in range(1, count + 1) if n not in by_number]
    if missing:
        raise UploadIncomplete(
            f"S3 holds {len(by_number)} of {count} parts; send the missing ones, then complete",
            extra={"missing": missing[:1000]},
        )
    extra = sorted(n for n in by_number if n > count)
    if extra:
        raise UploadSizeMismatch(f"part {extra[0]} is beyond the {count} parts of the file")
    total = sum(p.size for p in stored)
    if total != upload.expected_bytes:
        raise UploadSizeMismatch(
            f"the parts hold {total} bytes; the file was announced as {upload.expected_bytes}"
        )
    if sent.parts is not None:
        etags = {p.part_number: p.etag.strip('"') for p in sent.parts}
        wrong = [n for n, p in by_number.items() if etags.get(n) != p.etag.strip('"')]
        if wrong:
            raise UploadIncomplete(
                f"part {wrong[0]} in S3 is not the part you sent (ETag differs); send it again",
                extra={"missing": wrong[:1000]},
            )
    return [by_number[n] for n in range(1, count + 1)]


async def complete(
    db: AsyncSession,
    settings: Settings,
    storage: Storage,
    content: Content,
    upload: Upload,
    data: CompleteIn,
) -> UploadCompletedOut:
    s3 = s3_of(storage)
    if upload.status == "completed" and content.source_key == upload.key:
        # A retried complete (the answer was lost): the same answer, nothing started twice.
        return _completed(upload, content)
    _require_open(upload)
    if content.status == "processing":
        raise Conflict("the content is processing; wait for it to finish before a new source")
    stored = await anyio.to_thread.run_sync(
        multipart.stored_parts, s3, upload.key, upload.s3_upload_id
    )
    parts = check_parts(upload, stored, data)
    upload_id, key, expected, sha256 = upload.id, upload.key, upload.expected_bytes, upload.sha256
    s3_upload_id, content_id = upload.s3_upload_id, content.id
    generation = content.generation  # a source accepted meanwhile makes this one a 409
    await db.rollback()  # hold no transaction while S3 joins (and we maybe hash) the object
    try:
        size = await anyio.to_thread.run_sync(
            multipart.complete_upload, s3, key, s3_upload_id, parts
        )
    except Exception:
        await refuse_if_gone(db, s3, content_id, key)  # the delete aborted it: 404
        raise
    try:
        if size != expected:
            raise UploadSizeMismatch(f"the object is {size} bytes; {expected} were announced")
        if sha256 is not None:
            actual = await anyio.to_thread.run_sync(multipart.object_sha256, s3, key)
            if actual != sha256:
                raise ChecksumMismatch(
                    f"the object's SHA-256 is {actual}, not {sha256}; upload the file again"
                )
    except (UploadSizeMismatch, ChecksumMismatch):
        await anyio.to_thread.run_sync(s3.delete, key)
        await _finish(db, upload_id, "aborted")
        raise
    await _finish(db, upload_id, "completed")
    try:
        accepted = await accept_source(db, storage, content_id, key, size, sha256, generation)
    except SourceSuperseded:
        await _finish(db, upload_id, "aborted")  # its object is gone: a retried complete is 409
        raise
    upload = await load_upload(db, accepted, upload_id)
    return _completed(upload, accepted)


async def _finish(db: AsyncSession, upload_id: str, new_status: str) -> None:
    upload = await db.get(Upload, upload_id, with_for_update=True)
    if upload is None:
        return  # deleted with its content meanwhile: accept_source answers 404 for it
    upload.status = new_status
    upload.updated_at = utcnow()
    content = await db.get(Content, upload.content_id)
    if new_status == "aborted" and content is not None and content.status == "uploading":
        content.status = "draft"
    await db.commit()


def _completed(upload: Upload, content: Content) -> UploadCompletedOut:
    return UploadCompletedOut(
        upload_id=upload.id,
        content_id=content.id,
        status=content.status,
        bytes=content.source_bytes or upload.expected_bytes,
        sha256=content.source_sha256,
        generation=content.generation,
    )


async def abort(db: AsyncSession, storage: Storage, upload: Upload) -> None:
    s3 = s3_of(storage)
    if upload.status != "open":
        return
    await anyio.to_thread.run_sync(multipart.abort_upload, s3, upload.key, upload.s3_upload_id)
    await _finish(db, upload.id, "aborted")
