"""Direct-to-S3 uploads: the client sends parts straight to S3; the API only coordinates."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.content.service import load_owned_content
from api.uploads import service
from api.uploads.schemas import CompleteIn, PartsIn, UploadCompletedOut, UploadIn, UploadOut
from pipelines.storage import Storage
from settings import Settings


class UploadsController(Controller):
    path = "/content/{content_id:str}/uploads"
    tags = ["uploads"]

    @post("/", status_code=201, summary="Start a direct multipart upload; presigned part URLs")
    async def start(
        self,
        content_id: FromPath[str],
        data: JSONBody[UploadIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
    ) -> UploadOut:
        content = await load_owned_content(db, content_id, user)
        return await service.start(db, settings, storage, content, data)

    @get("/{upload_id:str}", summary="The parts S3 holds, and fresh URLs for the missing ones")
    async def read(
        self,
        content_id: FromPath[str],
        upload_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
    ) -> UploadOut:
        content = await load_owned_content(db, content_id, user)
        upload = await service.load_upload(db, content, upload_id)
        return await service.status(db, settings, storage, upload)

    @post("/{upload_id:str}/parts", status_code=200, summary="Presigned URLs for given parts")
    async def part_urls(
        self,
        content_id: FromPath[str],
        upload_id: FromPath[str],
        data: JSONBody[PartsIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
    ) -> UploadOut:
        content = await load_owned_content(db, content_id, user)
        upload = await service.load_upload(db, content, upload_id)
        return await service.more_urls(settings, storage, upload, data.part_numbers)

    @post(
        "/{upload_id:str}/complete",
        status_code=202,
        summary="Check the parts, join them, verify size and checksum, start processing",
    )
    async def complete(
        self,
        content_id: FromPath[str],
        upload_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
        data: JSONBody[CompleteIn | None] = None,
    ) -> UploadCompletedOut:
        content = await load_owned_content(db, content_id, user)
        upload = await service.load_upload(db, content, upload_id)
        return await service.complete(db, settings, storage, content, upload, data or CompleteIn())

    @delete("/{upload_id:str}", status_code=204, summary="Abort the upload; S3 frees its parts")
    async def abort(
        self,
        content_id: FromPath[str],
        upload_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        storage: NamedDependency[Storage],
    ) -> None:
        content = await load_owned_content(db, content_id, user)
        upload = await service.load_upload(db, content, upload_id)
        await service.abort(db, storage, upload)
