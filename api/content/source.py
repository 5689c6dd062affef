"""Streaming a source file up through the API: constant memory, hashed and size-checked on
the way."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import anyio
from litestar import Request
from litestar.exceptions import ClientException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Conflict, NotFound, UploadIncomplete, UploadTooLarge
from api.messages import send_advance
from models import Content, Upload, utcnow
from pipelines.storage import ObjectWriter, Storage, multipart, open_writer
from pipelines.storage.s3 import S3Storage
from workers.orchestrator import start_generation


class SourceSuperseded(Conflict):
    """Another source started a generation while this one was arriving."""


class ContentGone(NotFound):
    """The content was deleted while its source was arriving."""


async def refuse_if_gone(db: AsyncSession, storage: Storage, content_id: str, key: str) -> None:
    """Raise ContentGone, deleting `key`, if the content was deleted while its source arrived.

    The delete removes the content's objects when it commits; what lands under `key` after
    that (a streamed upload's last part, a multipart upload S3 joins) is this request's to
    remove. Unchecked, a local writer whose folder the delete removed answers 400, and an upload
    S3 joins after the delete answers 500 and stays in the bucket."""
    if await db.scalar(select(Content.id).where(Content.id == content_id)) is None:
        raise await _discarded(db, storage, key)


async def _discarded(db: AsyncSession, storage: Storage, key: str) -> ContentGone:
    await db.rollback()
    await anyio.to_thread.run_sync(storage.delete, key)
    return ContentGone("the content was deleted while its source was arriving; nothing was kept")


# Disk and S3 writes are blocking: hand them to a thread a few MiB at a time, not per chunk.
FLUSH_BYTES = 4 * 1024 * 1024


def source_key(content_id: str, filename: str = "") -> str:
    suffix = ""
    if "." in filename:
        suffix = "." + "".join(c for c in filename.rsplit(".", 1)[1].lower() if c.isalnum())[:8]
    return f"sources/{content_id}/{uuid.uuid4().hex}{suffix}"


class _Sink:
    """Hashes and writes the body on a thread of its own, one batch behind the receiving: the
    event loop reads the next batch off the socket while the last one is hashed and written
    (hashlib and file writes release the GIL). At most two batches are held."""

    def __init__(self, writer: ObjectWriter) -> None:
        self.writer = writer
        self.digest = hashlib.sha256()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload")
        self._inflight: Future[None] | None = None

    def _store(self, batch: list[bytes]) -> None:
        for chunk in batch:
            self.digest.update(chunk)
            self.writer.write(chunk)

    async def wait(self) -> None:
        """Until the batch in flight is written; its failure is raised here."""
        if self._inflight is not None:
            inflight, self._inflight = self._inflight, None
            await asyncio.wrap_future(inflight)

    async def put(self, batch: list[bytes]) -> None:
        await self.wait()
        self._inflight = self._pool.submit(self._store, batch)

    async def run(self, action: Callable[[], None]) -> None:
        await self.wait()
        await asyncio.wrap_future(self._pool.submit(action))

    def close(self) -> None:
        self._pool.shutdown(wait=False)


async def receive_source(
    request: Request[Any, Any, Any], storage: Storage, key: str, max_bytes: int, part_size: int
) -> tuple[int, str]:
    """Stream the request body into `key`; returns (bytes, sha256). On any failure nothing is
    kept."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise UploadTooLarge(f"the file is {int(declared)} bytes; the limit is {max_bytes} bytes")
    sink = _Sink(await anyio.to_thread.run_sync(open_writer, storage, key, part_size))
    received = 0
    # The chunks as they came, not joined: joining makes a fresh multi-MiB buffer per batch.
    pending: list[bytes] = []
    pending_bytes = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_bytes:
                raise UploadTooLarge(f"the file is over the limit of {max_bytes} bytes")
            pending.append(chunk)
            pending_bytes += len(chunk)
            if pending_bytes >= FLUSH_BYTES:
                batch, pending, pending_bytes = pending, [], 0
                await sink.put(batch)
        if declared is not None and declared.isdigit() and received != int(declared):
            raise UploadIncomplete(
                f"the upload was cut short: {received} of {declared} bytes arrived; "
                "send the file again"
            )
        if received == 0:
            raise UploadIncomplete("the request body is empty: send the file's bytes as the body")
        if pending:
            await sink.put(pending)
        await sink.run(sink.writer.commit)
    except BaseException as exc:
        with anyio.CancelScope(shield=True):
            with contextlib.suppress(Exception):  # the batch's failure: the abort still runs
                await sink.wait()
            await sink.run(sink.writer.abort)
        sink.close()
        cut_short = isinstance(exc, ClientException | OSError)
        if cut_short and not isinstance(exc, UploadTooLarge | UploadIncomplete):
            raise UploadIncomplete("the upload was cut short; send the file again") from None
        raise
    sink.close()
    return received, sink.digest.hexdigest()


async def receive_content_file(
    db: AsyncSession,
    request: Request[Any, Any, Any],
    storage: Storage,
    content_id: str,
    key: str,
    max_bytes: int,
    part_size: int,
) -> tuple[int, str]:
    """`receive_source` for a file of a content (its source, an added track) that may be deleted
    while the bytes arrive: the delete removes the writer's folder or aborts its S3 upload, and
    the request then answers 404 (ContentGone) with nothing kept, not 400 or 500."""
    try:
        return await receive_source(request, storage, key, max_bytes, part_size)
    except Exception:
        await refuse_if_gone(db, storage, content_id, key)
        raise


async def accept_source(
    db: AsyncSession,
    storage: Storage,
    content_id: str,
    key: str,
    size: int,
    sha256: str | None,
    generation: int,
) -> Content:
    """The source is whole under `key`: record it, start a new generation, ask the orchestrator
    to plan it, and drop the previous source. Shared by PUT /source and multipart completion.

    `generation` is the content's generation when this upload began. One upload at a time: if
    another source (or a reprocess) started a generation meanwhile, this one is refused and
    deleted; taking it would cancel that generation's steps and delete the source they read."""
    content = (
        await db.scalars(select(Content).where(Content.id == content_id).with_for_update())
    ).first()
    if content is None:
        raise await _discarded(db, storage, key)
    if content.generation != generation:
        await db.rollback()
        await anyio.to_thread.run_sync(storage.delete, key)
        raise SourceSuperseded(
            "another source for this content arrived while this one was uploading and is being "
            "processed; send this file again once it is done if it is the one you want"
        )
    old_key = content.source_key
    content.source_key, content.source_bytes, content.source_sha256 = key, size, sha256
    content.media_type = None
    # A new source starts uncut: a range chosen on the old one means nothing on it.
    content.range_start_s = content.range_end_s = None
    content.edit = None
    start_generation(db, content)  # type: ignore[arg-type]
    content.updated_at = utcnow()
    # A direct upload still open was begun before this source was taken: completing it later
    # would replace this generation's source under its running steps. It ends here (its
    # complete answers 409), as a new start ends an open one.
    superseded = list(
        await db.scalars(
            select(Upload).where(
                Upload.content_id == content_id, Upload.status == "open", Upload.key != key
            )
        )
    )
    for upload in superseded:
        upload.status, upload.updated_at = "aborted", utcnow()
    await db.commit()
    await send_advance(content_id)
    if old_key and old_key != key:
        await anyio.to_thread.run_sync(storage.delete, old_key)
    if isinstance(storage, S3Storage):
        for upload in superseded:
            await anyio.to_thread.run_sync(
                multipart.abort_upload, storage, upload.key, upload.s3_upload_id
            )
    return content
