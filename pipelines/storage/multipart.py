"""Direct-to-S3 multipart uploads: the client sends parts straight to S3 through presigned URLs.

The API only starts, presigns, lists, completes and aborts; no byte of the file passes through it
(S3 rules: parts of 5 MiB to 5 GiB, the last one smaller, at most 10,000 parts).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec
from botocore.exceptions import ClientError

from pipelines.storage import check_key
from pipelines.storage.object_headers import cache_control_for, content_type_for
from pipelines.storage.s3 import S3Storage, classified_s3_errors

__all__ = [
    "MAX_PARTS",
    "MIN_PART_SIZE",
    "PartUrl",
    "PendingUpload",
    "StoredPart",
    "abort_upload",
    "complete_upload",
    "object_sha256",
    "part_count",
    "part_size_for",
    "part_urls",
    "pending_uploads",
    "start_upload",
    "stored_parts",
]

MiB = 1024 * 1024
MIN_PART_SIZE = 5 * MiB
MAX_PARTS = 10_000


class PartUrl(msgspec.Struct):
    part_number: int
    url: str


class StoredPart(msgspec.Struct):
    part_number: int
    etag: str
    size: int


class PendingUpload(msgspec.Struct):
    key: str
    upload_id: str
    initiated: datetime


def part_size_for(total_bytes: int, preferred: int) -> int:
    """The preferred size, grown in whole MiB when the file would need more than 10,000 parts."""
    size = max(preferred, MIN_PART_SIZE)
    if total_bytes > size * MAX_PARTS:
        size = math.ceil(total_bytes / MAX_PARTS / MiB) * MiB
    return size


def part_count(total_bytes: int, part_size: int) -> int:
    return max(1, math.ceil(total_bytes / part_size))


def start_upload(storage: S3Storage, key: str) -> str:
    with classified_s3_errors(key):
        response = storage.client.create_multipart_upload(
            Bucket=storage.bucket,
            Key=check_key(key),
            ContentType=content_type_for(key),
            CacheControl=cache_control_for(key),
        )
    return str(response["UploadId"])


def part_urls(
    storage: S3Storage,
    key: str,
    upload_id: str,
    numbers: Iterable[int],
    ttl_s: int,
    signer: Any = None,
) -> list[PartUrl]:
    """Presigned PUT URLs (SigV4: the signature covers the host and the query, so a URL is good
    for its one part of its one upload until it expires). `signer` is the client that presigns
    at the address browsers reach the bucket by (pipelines.storage.presigned.listener_client),
    when it is not the platform's own (MinIO inside compose)."""
    return [
        PartUrl(
            part_number=n,
            url=(signer or storage.client).generate_presigned_url(
                "upload_part",
                ExpiresIn=ttl_s,
                Params={
                    "Bucket": storage.bucket,
                    "Key": key,
                    "UploadId": upload_id,
                    "PartNumber": n,
                },
            ),
        )
        for n in numbers
    ]


def stored_parts(storage: S3Storage, key: str, upload_id: str) -> list[StoredPart]:
    """The parts S3 holds for the upload, in order: what a client resumes from."""
    parts: list[StoredPart] = []
    with classified_s3_errors(key):
        paginator = storage.client.get_paginator("list_parts")
        for page in paginator.paginate(Bucket=storage.bucket, Key=key, UploadId=upload_id):
            parts.extend(
                StoredPart(part_number=p["PartNumber"], etag=p["ETag"], size=p["Size"])
                for p in page.get("Parts", [])
            )
    return sorted(parts, key=lambda p: p.part_number)


def complete_upload(storage: S3Storage, key: str, upload_id: str, parts: list[StoredPart]) -> int:
    """Join the parts into the object; returns the object's size as S3 reports it."""
    with classified_s3_errors(key):
        storage.client.complete_multipart_upload(
            Bucket=storage.bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={
                "Parts": [{"PartNumber": p.part_number, "ETag": p.etag} for p in parts]
            },
        )
    return storage.size(key)


def abort_upload(storage: S3Storage, key: str, upload_id: str) -> None:
    """Abort and free the parts; aborting an upload S3 no longer knows is not an error."""
    with classified_s3_errors(key):
        try:
            storage.client.abort_multipart_upload(
                Bucket=storage.bucket, Key=key, UploadId=upload_id
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                raise


def pending_uploads(storage: S3Storage, prefix: str) -> list[PendingUpload]:
    """Every unfinished multipart upload under `prefix` (including ones our database forgot)."""
    found: list[PendingUpload] = []
    with classified_s3_errors(prefix):
        paginator = storage.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=storage.bucket, Prefix=prefix):
            found.extend(
                PendingUpload(key=u["Key"], upload_id=u["UploadId"], initiated=u["Initiated"])
                for u in page.get("Uploads", [])
            )
    return found


def object_sha256(storage: S3Storage, key: str, chunk: int = 8 * MiB) -> str:
    """Read the object back once to check the client's checksum (constant memory)."""
    digest = hashlib.sha256()
    with classified_s3_errors(key):
        body = storage.client.get_object(Bucket=storage.bucket, Key=key)["Body"]
        for block in body.iter_chunks(chunk):
            digest.update(block)
    return digest.hexdigest()
