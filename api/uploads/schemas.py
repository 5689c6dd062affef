"""Request and response bodies of the direct-upload API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Sha256 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
PartNumber = Annotated[int, msgspec.Meta(ge=1, le=10_000)]


class UploadIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    bytes: Annotated[int, msgspec.Meta(ge=1)]
    filename: Annotated[str, msgspec.Meta(max_length=300)] = ""
    sha256: Sha256 | None = None


class PartsIn(msgspec.Struct, forbid_unknown_fields=True):
    part_numbers: Annotated[list[PartNumber], msgspec.Meta(min_length=1, max_length=1000)]


class CompletedPart(msgspec.Struct, forbid_unknown_fields=True):
    part_number: PartNumber
    etag: str


class CompleteIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # The ETags the client got back from S3; when sent, each must match what S3 holds.
    parts: list[CompletedPart] | None = None


class PartUrlOut(msgspec.Struct):
    part_number: int
    url: str


class StoredPartOut(msgspec.Struct):
    part_number: int
    etag: str
    size: int


class UploadOut(msgspec.Struct, kw_only=True):
    upload_id: str
    content_id: str
    status: str
    bytes: int
    part_size: int
    part_count: int
    # Presigned PUT URLs: the first batch on start, the missing parts on a status read.
    part_urls: list[PartUrlOut] = msgspec.field(default_factory=list)
    urls_expire_at: datetime | None = None
    parts: list[StoredPartOut] = msgspec.field(default_factory=list)
    missing: list[int] = msgspec.field(default_factory=list)


class UploadCompletedOut(msgspec.Struct, kw_only=True):
    upload_id: str
    content_id: str
    status: str
    bytes: int
    sha256: str | None
    generation: int
