"""S3 as object storage: the bucket backend, its client, its errors classified, and the
streaming multipart writer."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from pipelines.storage.errors import ObjectMissing, StorageRefused, StorageUnavailable
from pipelines.storage.object_headers import cache_control_for, content_type_for
from pipelines.storage.objects import ScopedStorage, Storage, check_key
from settings import Settings

__all__ = ["S3ObjectWriter", "S3Storage", "s3_client", "s3_error"]

MiB = 1024 * 1024


class S3Storage:
    """Objects in one S3 bucket, with parallel multipart transfers and per-kind caching headers."""

    def __init__(self, settings: Settings) -> None:
        self.bucket = settings.s3_bucket
        self.client = s3_client(settings)
        self.transfer = TransferConfig(
            multipart_threshold=16 * MiB,
            multipart_chunksize=16 * MiB,
            max_concurrency=16,
            use_threads=True,
        )

    def _extra(self, key: str, live: bool) -> dict[str, str]:
        return {
            "ContentType": content_type_for(key),
            "CacheControl": cache_control_for(key, live=live),
        }

    def put_file(self, key: str, path: Path, *, live: bool = False) -> int:
        size = Path(path).stat().st_size
        with classified_s3_errors(key):
            if size < self.transfer.multipart_threshold:
                # One PUT: upload_file would build a transfer manager and its threads per call,
                # which costs more than the transfer itself for a 200 KB segment.
                with open(path, "rb") as body:
                    self.client.put_object(
                        Bucket=self.bucket, Key=check_key(key), Body=body, **self._extra(key, live)
                    )
            else:
                self.client.upload_file(
                    str(path),
                    self.bucket,
                    check_key(key),
                    ExtraArgs=self._extra(key, live),
                    Config=self.transfer,
                )
        return size

    def put_bytes(self, key: str, data: bytes, *, live: bool = False) -> int:
        with classified_s3_errors(key):
            self.client.put_object(
                Bucket=self.bucket, Key=check_key(key), Body=data, **self._extra(key, live)
            )
        return len(data)

    def get_file(self, key: str, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with classified_s3_errors(key):
            self.client.download_file(self.bucket, check_key(key), str(dest), Config=self.transfer)
        return dest

    def get_bytes(self, key: str) -> bytes:
        with classified_s3_errors(key):
            return self.client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"].read()

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except ObjectMissing:
            return False
        return True

    def size(self, key: str) -> int:
        with classified_s3_errors(key):
            return int(
                self.client.head_object(Bucket=self.bucket, Key=check_key(key))["ContentLength"]
            )

    def delete(self, key: str) -> None:
        with classified_s3_errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list_keys(prefix)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            with classified_s3_errors(prefix):
                self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
        return len(keys)

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        with classified_s3_errors(prefix):
            for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            ):
                keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return sorted(keys)

    def list_prefixes(self, prefix: str) -> list[str]:
        """The common prefixes directly under `prefix`, each ending in `/`."""
        found: list[str] = []
        with classified_s3_errors(prefix):
            for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix, Delimiter="/"
            ):
                found.extend(p["Prefix"] for p in page.get("CommonPrefixes", []))
        return sorted(found)

    def newest_change(self, prefix: str) -> datetime | None:
        """The newest LastModified under `prefix` (a multipart upload in progress is no object
        yet: the clock's stale_uploads aborts those). None when there is none."""
        newest: datetime | None = None
        with classified_s3_errors(prefix):
            for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            ):
                for obj in page.get("Contents", []):
                    modified: datetime = obj["LastModified"]
                    newest = modified if newest is None or modified > newest else newest
        return newest

    def local_path(self, key: str) -> Path | None:
        return None

    def scoped(self, prefix: str) -> Storage:
        return ScopedStorage(self, prefix)


def s3_client(settings: Settings):  # type: ignore[no-untyped-def]
    """An S3 client that presigns in SigV4 (boto3 still defaults to SigV2 for some calls)."""
    return boto3.client(
        "s3",
        region_name=settings.s3_region,
        endpoint_url=settings.s3_endpoint_url or None,
        aws_access_key_id=settings.aws_access_key_id or None,
        aws_secret_access_key=settings.aws_secret_access_key or None,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if settings.s3_endpoint_url else "virtual"},
            max_pool_connections=32,
            # Standard retries back off on SlowDown/5xx; "adaptive" adds a client-side rate
            # limiter whose lock 16 publishing threads contend on, for no gain on S3.
            retries={"mode": "standard", "max_attempts": 5},
        ),
    )


# S3 error codes that say "this will not work until someone changes something": permanent.
REFUSED_CODES = frozenset(
    {
        "403",
        "AccessDenied",
        "AllAccessDisabled",
        "AccountProblem",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
        "ExpiredToken",
        "NoSuchBucket",
        "InvalidBucketName",
        "NoSuchUpload",
        "InvalidPart",
        "InvalidPartOrder",
        "EntityTooSmall",
        "EntityTooLarge",
        "InvalidArgument",
        "InvalidRequest",
        "MalformedXML",
    }
)
# Codes that pass with time (throttling, timeouts); any 5xx counts too.
TRANSIENT_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "InternalError",
        "ServiceUnavailable",
        "503",
        "500",
    }
)
MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class classified_s3_errors:
    """Turn botocore's errors into ours. The class says transient or permanent: a missing object
    or a refusal (AccessDenied, NoSuchBucket...) is permanent; throttling, 5xx, network may pass."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> Literal[False]:
        if isinstance(exc, ClientError):
            raise s3_error(exc, self.key) from exc
        if isinstance(exc, BotoCoreError):
            raise StorageUnavailable(
                f"storage unreachable for {self.key}: {type(exc).__name__}"
            ) from exc
        return False


def s3_error(exc: ClientError, key: str) -> ObjectMissing | StorageRefused | StorageUnavailable:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code in MISSING_CODES:
        return ObjectMissing(f"object {key} is missing")
    if code in TRANSIENT_CODES or status >= 500 or status == 429:
        return StorageUnavailable(f"storage failed on {key}: {code or status}")
    if code in REFUSED_CODES or 400 <= status < 500:
        return StorageRefused(f"storage refused {key}: {code or status}")
    return StorageUnavailable(f"storage failed on {key}: {code or status}")


class S3ObjectWriter:
    """A multipart upload fed part by part: memory stays at one part whatever the size."""

    def __init__(self, storage: S3Storage, key: str, part_size: int) -> None:
        self.storage = storage
        self.key = check_key(key)
        self.part_size = max(part_size, 5 * MiB)
        self.buffer = bytearray()
        self.parts: list[dict[str, object]] = []
        with classified_s3_errors(key):
            self.upload_id = storage.client.create_multipart_upload(
                Bucket=storage.bucket, Key=self.key, **storage._extra(key, False)
            )["UploadId"]

    def _flush(self) -> None:
        number = len(self.parts) + 1
        # The buffer itself is the body (botocore takes a bytearray): no copy of a 16 MiB part.
        body, self.buffer = self.buffer, bytearray()
        with classified_s3_errors(self.key):
            etag = self.storage.client.upload_part(
                Bucket=self.storage.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                PartNumber=number,
                Body=body,
            )["ETag"]
        self.parts.append({"PartNumber": number, "ETag": etag})

    def write(self, chunk: bytes) -> None:
        self.buffer.extend(chunk)
        if len(self.buffer) >= self.part_size:
            self._flush()

    def commit(self) -> None:
        if self.buffer or not self.parts:
            self._flush()
        with classified_s3_errors(self.key):
            self.storage.client.complete_multipart_upload(
                Bucket=self.storage.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": self.parts},
            )

    def abort(self) -> None:
        with classified_s3_errors(self.key):
            self.storage.client.abort_multipart_upload(
                Bucket=self.storage.bucket, Key=self.key, UploadId=self.upload_id
            )
