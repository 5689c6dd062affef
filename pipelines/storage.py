"""Object storage: one small interface, a local-disk backend and an S3 backend."""

from __future__ import annotations

import mimetypes
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol, runtime_checkable

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from pipelines.errors import ObjectMissing, StorageUnavailable
from settings import Settings

MiB = 1024 * 1024

# Players are picky about types; mimetypes does not know the HLS and caption ones everywhere.
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".ts": "video/mp2t",
    ".mp3": "audio/mpeg",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".png": "image/png",
    ".xml": "application/rss+xml; charset=utf-8",
}

IMMUTABLE = "public, max-age=31536000, immutable"
LIVE_PLAYLIST = "public, max-age=2"
STABLE = "public, max-age=300"


def content_type_for(key: str) -> str:
    suffix = PurePosixPath(key).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def cache_control_for(key: str, *, live: bool = False) -> str:
    """Segments and anything under a generation are immutable; playlists are short-lived while
    an encode runs; stable URLs (feeds, unversioned files) stay short so invalidation refreshes them."""
    suffix = PurePosixPath(key).suffix.lower()
    if suffix == ".m3u8":
        return LIVE_PLAYLIST if live else STABLE
    if "/g" in key and any(part.startswith("g") and part[1:].isdigit() for part in key.split("/")):
        return IMMUTABLE
    return STABLE


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
        return {"ContentType": content_type_for(key), "CacheControl": cache_control_for(key, live=live)}

    def put_file(self, key: str, path: Path, *, live: bool = False) -> int:
        with _s3_errors(key):
            self.client.upload_file(
                str(path), self.bucket, check_key(key), ExtraArgs=self._extra(key, live),
                Config=self.transfer,
            )
        return Path(path).stat().st_size

    def put_bytes(self, key: str, data: bytes, *, live: bool = False) -> int:
        with _s3_errors(key):
            self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data, **self._extra(key, live))
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
            return int(self.client.head_object(Bucket=self.bucket, Key=check_key(key))["ContentLength"])

    def delete(self, key: str) -> None:
        with _s3_errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list_keys(prefix)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            with _s3_errors(prefix):
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
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
            retries={"mode": "adaptive", "max_attempts": 5},
        ),
    )


class _s3_errors:
    """Turn botocore's errors into ours: missing objects are permanent, the rest may pass."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> bool:
        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in {"404", "NoSuchKey", "NotFound"}:
                raise ObjectMissing(f"object {self.key} is missing") from None
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            if status >= 500 or code in {"SlowDown", "Throttling", "RequestTimeout"}:
                raise StorageUnavailable(f"storage failed on {self.key}: {code}") from None
            raise StorageUnavailable(f"storage refused {self.key}: {code}") from None
        if isinstance(exc, BotoCoreError):
            raise StorageUnavailable(f"storage unreachable for {self.key}: {type(exc).__name__}") from None
        return False


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
                Bucket=storage.bucket, Key=self.key, ContentType=content_type_for(key)
            )["UploadId"]

    def _flush(self) -> None:
        number = len(self.parts) + 1
        with _s3_errors(self.key):
            etag = self.storage.client.upload_part(
                Bucket=self.storage.bucket, Key=self.key, UploadId=self.upload_id,
                PartNumber=number, Body=bytes(self.buffer),
            )["ETag"]
        self.parts.append({"PartNumber": number, "ETag": etag})
        self.buffer.clear()

    def write(self, chunk: bytes) -> None:
        self.buffer.extend(chunk)
        if len(self.buffer) >= self.part_size:
            self._flush()

    def commit(self) -> None:
        if self.buffer or not self.parts:
            self._flush()
        with _s3_errors(self.key):
            self.storage.client.complete_multipart_upload(
                Bucket=self.storage.bucket, Key=self.key, UploadId=self.upload_id,
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
