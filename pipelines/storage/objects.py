"""Object storage: one small interface, the local-disk backend, scoped views and writers.

The S3 backend is pipelines/storage/s3.py; `storage_from_settings` picks one of the two.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol, runtime_checkable

from pipelines.storage.errors import ObjectMissing
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
    def list_prefixes(self, prefix: str) -> list[str]: ...
    def newest_change(self, prefix: str) -> datetime | None: ...
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

    def _folder(self, prefix: str) -> Path:
        return self.root / check_key(prefix.rstrip("/")) if prefix.strip("/") else self.root

    def list_prefixes(self, prefix: str) -> list[str]:
        """The folders directly under `prefix` (S3's common prefixes), each ending in `/`."""
        folder = self._folder(prefix)
        if not folder.is_dir():
            return []
        return sorted(
            f"{p.relative_to(self.root).as_posix()}/" for p in folder.iterdir() if p.is_dir()
        )

    def newest_change(self, prefix: str) -> datetime | None:
        """When the newest file under `prefix` was last written, a write in progress included
        (its temp file): what an object's age is measured from. None when there is none."""
        folder = self._folder(prefix)
        if not folder.is_dir():
            return None
        times = []
        for path in folder.rglob("*"):
            try:
                if path.is_file():
                    times.append(path.stat().st_mtime)
            except OSError:  # removed while we looked
                continue
        return datetime.fromtimestamp(max(times), UTC) if times else None

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

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

    def list_prefixes(self, prefix: str = "") -> list[str]:
        full = self.key(prefix) + "/" if prefix.strip("/") else self.prefix + "/"
        cut = len(self.prefix) + 1 if self.prefix else 0
        return [p[cut:] for p in self.inner.list_prefixes(full)]

    def newest_change(self, prefix: str = "") -> datetime | None:
        return self.inner.newest_change(self.key(prefix) if prefix else self.prefix + "/")

    def local_path(self, key: str) -> Path | None:
        return self.inner.local_path(self.key(key))

    def scoped(self, prefix: str) -> Storage:
        return ScopedStorage(self.inner, self.key(prefix))


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
        from pipelines.storage.s3 import S3Storage

        return S3Storage(settings)
    return LocalStorage(settings.storage_path)


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


def open_writer(storage: Storage, key: str, part_size: int = 16 * MiB) -> ObjectWriter:
    from pipelines.storage.s3 import S3ObjectWriter, S3Storage

    if isinstance(storage, S3Storage):
        return S3ObjectWriter(storage, key, part_size)
    if isinstance(storage, LocalStorage):
        return LocalObjectWriter(storage, key)
    raise TypeError(f"no streaming writer for {type(storage).__name__}")
