"""Object storage: one small interface, a local-disk backend and an S3 backend."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal, Protocol, runtime_checkable

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from pipelines.errors import ObjectMissing, StorageRefused, StorageUnavailable
from pipelines.object_headers import cache_control_for, content_type_for
from settings import Settings

MiB = 1024 * 1024


def check_key(key: str) -> str:
    """Keys are relative POSIX paths with no `..`: one bad key must not escape the root."""
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts or "\\" in key:
        raise ValueError(f"bad object key: {key!r}")
    return str(path)


@runtime_checkable
class Storage(Protocol):
    """Where objects live. Keys are relative POSIX paths."""

    def put_file(self, key: str, path: Path, *, live: bool = False) -> int: ...
    def put_bytes(self, key: str, data: bytes, *, live: bool = False) -> int: ...
    def get_file(self, key: str, dest: Path) -> Path: ...
    def get_bytes(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> int: ...
    def list_keys(self, prefix: str) -> list[str]: ...
    def local_path(self, key: str) -> Path | None: ...
    def scoped(self, prefix: str) -> Storage: ...


class LocalStorage:
    """Objects as files under one root; writes go through a temp file and a rename."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_file(self, key: str, path: Path, *, live: bool = False) -> int:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if Path(path).resolve() == target.resolve():
            return target.stat().st_size
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".put-")
        os.close(fd)
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
        return target.stat().st_size

    def put_bytes(self, key: str, data: bytes, *, live: bool = False) -> int:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".put-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
        return len(data)

    def put_stream(self, key: str, stream: BinaryIO) -> int:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".put-")
        with os.fdopen(fd, "wb") as handle:
            shutil.copyfileobj(stream, handle, 4 * MiB)
        os.replace(tmp, target)
        return target.stat().st_size

    def get_file(self, key: str, dest: Path) -> Path:
        source = self._path(key)
        if not source.is_file():
            raise ObjectMissing(f"object {key} is missing")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        return dest

    def get_bytes(self, key: str) -> bytes:
        source = self._path(key)
        if not source.is_file():
            raise ObjectMissing(f"object {key} is missing")
        return source.read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        source = self._path(key)
        if not source.is_file():
            raise ObjectMissing(f"object {key} is missing")
        return source.stat().st_size

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list_keys(prefix)
        for key in keys:
            self.delete(key)
        folder = self.root / check_key(prefix.rstrip("/"))
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
        return len(keys)

    def list_keys(self, prefix: str) -> list[str]:
        folder = self.root / check_key(prefix.rstrip("/")) if prefix.strip("/") else self.root
        if not folder.is_dir():
            return []
        return sorted(
            str(p.relative_to(self.root).as_posix())
            for p in folder.rglob("*")
            if p.is_file() and not p.name.startswith(".put-")
        )

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def scoped(self, prefix: str) -> Storage:
        return ScopedStorage(self, prefix)


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
        with _s3_errors(key):
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
        with _s3_errors(key):
            self.client.put_object(
                Bucket=self.bucket, Key=check_key(key), Body=data, **self._extra(key, live)
            )
        return len(data)

    def get_file(self, key: str, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with _s3_errors(key):
            self.client.download_file(self.bucket, check_key(key), str(dest), Config=self.transfer)
        return dest

    def get_bytes(self, key: str) -> bytes:
        with _s3_errors(key):
            return self.client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"].read()

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except ObjectMissing:
            return False
        return True

    def size(self, key: str) -> int:
        with _s3_errors(key):
            return int(
                self.client.head_object(Bucket=self.bucket, Key=check_key(key))["ContentLength"]
            )

    def delete(self, key: str) -> None:
        with _s3_errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list_keys(prefix)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            with _s3_errors(prefix):
                self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
        return len(keys)

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        with _s3_errors(prefix):
            for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            ):
                keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return sorted(keys)

    def local_path(self, key: str) -> Path | None:
        return None

    def scoped(self, prefix: str) -> Storage:
        return ScopedStorage(self, prefix)


class ScopedStorage:
    """A view of a storage under one prefix, e.g. `media/{id}/g{generation}/`."""

    def __init__(self, inner: Storage, prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix.strip("/")

    def key(self, key: str) -> str:
        return f"{self.prefix}/{check_key(key)}" if self.prefix else check_key(key)

    def put_file(self, key: str, path: Path, *, live: bool = False) -> int:
        return self.inner.put_file(self.key(key), path, live=live)

    def put_bytes(self, key: str, data: bytes, *, live: bool = False) -> int:
        return self.inner.put_bytes(self.key(key), data, live=live)

    def get_file(self, key: str, dest: Path) -> Path:
        return self.inner.get_file(self.key(key), dest)

    def get_bytes(self, key: str) -> bytes:
        return self.inner.get_bytes(self.key(key))

    def exists(self, key: str) -> bool:
        return self.inner.exists(self.key(key))

    def size(self, key: str) -> int:
        return self.inner.size(self.key(key))

    def delete(self, key: str) -> None:
        self.inner.delete(self.key(key))

    def delete_prefix(self, prefix: str) -> int:
        return self.inner.delete_prefix(self.key(prefix) if prefix else self.prefix + "/")

    def list_keys(self, prefix: str = "") -> list[str]:
        full = self.key(prefix) if prefix else self.prefix + "/"
        cut = len(self.prefix) + 1 if self.prefix else 0
        return [k[cut:] for k in self.inner.list_keys(full)]

    def local_path(self, key: str) -> Path | None:
        return self.inner.local_path(self.key(key))

    def scoped(self, prefix: str) -> Storage:
        return ScopedStorage(self.inner, self.key(prefix))


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


class _s3_errors:
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


def put_many(
    storage: Storage,
    files: Sequence[tuple[str, Path]],
    *,
    concurrency: int = 16,
    live: bool = False,
) -> int:
    """Upload many files at once (a generation's segments); returns the bytes sent.

    Threads, because each upload waits on the network, not the CPU. The first failure cancels
    what has not started and is raised; what did upload stays (every key is idempotent).
    """
    if not files:
        return 0
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(files)))) as pool:
        futures = [pool.submit(storage.put_file, key, path, live=live) for key, path in files]
        try:
            return sum(future.result() for future in futures)
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def storage_from_settings(settings: Settings) -> Storage:
    if settings.is_s3:
        return S3Storage(settings)
    return LocalStorage(settings.storage_path)


def iter_file(path: Path, chunk: int = 1 * MiB) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            yield block


class ObjectWriter(Protocol):
    """An object written piece by piece; nothing is visible under its key until `commit`."""

    def write(self, chunk: bytes) -> None: ...
    def commit(self) -> None: ...
    def abort(self) -> None: ...


class LocalObjectWriter:
    def __init__(self, storage: LocalStorage, key: str) -> None:
        self.target = storage.root / check_key(key)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(dir=self.target.parent, prefix=".put-")
        self.handle = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self.handle.write(chunk)

    def commit(self) -> None:
        self.handle.close()
        os.replace(self.tmp, self.target)

    def abort(self) -> None:
        self.handle.close()
        Path(self.tmp).unlink(missing_ok=True)


class S3ObjectWriter:
    """A multipart upload fed part by part: memory stays at one part whatever the size."""

    def __init__(self, storage: S3Storage, key: str, part_size: int) -> None:
        self.storage = storage
        self.key = check_key(key)
        self.part_size = max(part_size, 5 * MiB)
        self.buffer = bytearray()
        self.parts: list[dict[str, object]] = []
        with _s3_errors(key):
            self.upload_id = storage.client.create_multipart_upload(
                Bucket=storage.bucket, Key=self.key, **storage._extra(key, False)
            )["UploadId"]

    def _flush(self) -> None:
        number = len(self.parts) + 1
        # The buffer itself is the body (botocore takes a bytearray): no copy of a 16 MiB part.
        body, self.buffer = self.buffer, bytearray()
        with _s3_errors(self.key):
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
        with _s3_errors(self.key):
            self.storage.client.complete_multipart_upload(
                Bucket=self.storage.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": self.parts},
            )

    def abort(self) -> None:
        with _s3_errors(self.key):
            self.storage.client.abort_multipart_upload(
                Bucket=self.storage.bucket, Key=self.key, UploadId=self.upload_id
            )


def open_writer(storage: Storage, key: str, part_size: int = 16 * MiB) -> ObjectWriter:
    if isinstance(storage, S3Storage):
        return S3ObjectWriter(storage, key, part_size)
    if isinstance(storage, LocalStorage):
        return LocalObjectWriter(storage, key)
    raise TypeError(f"no streaming writer for {type(storage).__name__}")
