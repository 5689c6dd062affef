"""Each worker machine downloads a source from S3 once; every step on that machine reads its copy.

A long video is encoded as tens of chunk jobs, and probe, thumbnails, waveform and transcription
read the same upload again: a 7 GB source would otherwise be downloaded once per job. The cache
lives under WORK_DIR/sources and is shared by every thread and worker process on the machine:

- A copy is named by the object's key and its ETag and size (one HEAD per step), so a replaced
  object is a new entry and never served stale.
- Each entry has a lock file (`flock`). The one who finds no copy downloads it under the
  exclusive lock to a temporary name and renames it into place only whole (its size checked):
  a download that fails or a worker killed mid-way leaves nothing a later step takes as whole.
  Everyone else waits on the lock, then reads that copy.
- A step holds a shared lock on its copy while it runs; eviction takes the exclusive lock without
  waiting, so a copy in use is never removed.
- Bounded by SOURCE_CACHE_BYTES, least recently used first, and by SOURCE_CACHE_IDLE_S: a copy
  unused that long goes (a deleted content's source lingers no longer than that).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path

import msgspec

from pipelines.storage import Storage, check_key
from pipelines.storage.content_objects import content_prefixes
from pipelines.storage.errors import StorageUnavailable
from settings import Settings

__all__ = [
    "SourceCache",
    "SourceVersion",
    "forget_content_sources",
    "local_source",
    "source_cache",
    "source_version",
]

log = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"
PART_MARK = ".part-"
# A suffix kept on the copy's name for whoever looks at the folder (ffmpeg is told the demuxer).
_SAFE_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,10}")
# Taking the shared lock after a download can race an eviction of that copy; a few rounds settle it.
_MAX_ROUNDS = 5


class SourceVersion(msgspec.Struct, frozen=True):
    """One object as it is now: a new upload under the same key has another ETag."""

    key: str
    etag: str
    size: int


class SourceCache:
    """Whole copies of source objects in one folder, shared by the machine's workers."""

    def __init__(self, root: Path, max_bytes: int, idle_s: float) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.idle_s = idle_s

    def fits(self, size: int) -> bool:
        return self.max_bytes > 0 and size <= self.max_bytes

    @contextlib.contextmanager
    def hold(self, version: SourceVersion, fetch: Callable[[Path], object]) -> Iterator[Path]:
        """A whole local copy of `version`, downloaded by `fetch(dest)` unless a copy is here;
        not removed before the block ends."""
        self.root.mkdir(parents=True, exist_ok=True)
        name = entry_name(version)
        path = self.root / name
        fd = self._held(name, version, fetch)
        try:
            _touch(path)
            yield path
        finally:
            with contextlib.suppress(OSError):
                _touch(path)  # last use is when the step ends: an hour's encode is not idle
            os.close(fd)
        try:
            self.evict()  # what a step in use kept over the cap can go now
        except OSError:
            log.warning("could not evict cached sources", exc_info=True)

    def _held(self, name: str, version: SourceVersion, fetch: Callable[[Path], object]) -> int:
        path = self.root / name
        for _ in range(_MAX_ROUNDS):
            fd = self._lock(name, fcntl.LOCK_SH)
            if _whole(path, version.size):
                return fd
            os.close(fd)
            fd = self._lock(name, fcntl.LOCK_EX)
            try:
                if not _whole(path, version.size):  # nobody fetched it while we waited
                    self._download(name, version, fd, fetch)
            finally:
                os.close(fd)
            # Released and taken again shared (flock converts a lock non-atomically anyway): in
            # that gap an eviction may take the copy, and the next round fetches it again.
        raise StorageUnavailable(f"the cached copy of {version.key} kept being evicted")

    def _lock(self, name: str, mode: int) -> int:
        """The entry's lock file opened and locked. An eviction removes lock files under the
        exclusive lock: a lock taken on a file no longer at its path is taken again."""
        lock_path = self.root / f"{name}{LOCK_SUFFIX}"
        while True:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, mode)
                if _same_file(fd, lock_path):
                    return fd
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)

    def _download(
        self, name: str, version: SourceVersion, fd: int, fetch: Callable[[Path], object]
    ) -> None:
        """Under the entry's exclusive lock: fetch to a temporary name, rename when whole."""
        try:
            self.evict(room_for=version.size)
        except OSError:  # the download matters more; the sweep tries again
            log.warning("could not evict cached sources", exc_info=True)
        for stale in self.root.glob(f"{name}{PART_MARK}*"):  # a killed downloader's, not whole
            stale.unlink(missing_ok=True)
        # The lock file names the key, so a deleted content's copies can be found.
        os.ftruncate(fd, 0)
        os.pwrite(fd, version.key.encode(), 0)
        part = self.root / f"{name}{PART_MARK}{os.getpid()}-{threading.get_ident()}"
        started = time.monotonic()
        try:
            fetch(part)
            got = part.stat().st_size
            if got != version.size:
                raise StorageUnavailable(
                    f"the download of {version.key} ended at {got} of {version.size} bytes"
                )
            part.chmod(0o444)  # steps read it; none may change what the others read
            os.replace(part, self.root / name)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        log.info(
            "cached source %s (%d bytes) in %.1f s",
            version.key,
            version.size,
            time.monotonic() - started,
        )

    def evict(self, *, room_for: int = 0, now: float | None = None) -> list[str]:
        """Remove copies idle longer than the idle lifetime, then the least recently used until
        `room_for` more bytes fit under the cap; never a copy in use. Returns the names gone."""
        now = time.time() if now is None else now
        entries: list[tuple[float, int, str]] = []  # last use, bytes, name
        locks: set[str] = set()
        parts: list[tuple[str, int]] = []  # partial downloads, bytes
        used = 0
        with os.scandir(self.root) as found:
            for item in found:
                with contextlib.suppress(FileNotFoundError):
                    if item.name.endswith(LOCK_SUFFIX):
                        locks.add(item.name.removesuffix(LOCK_SUFFIX))
                        continue
                    stat = item.stat()
                    used += stat.st_size
                    if PART_MARK in item.name:
                        parts.append((item.name, stat.st_size))
                    else:
                        entries.append((stat.st_mtime, stat.st_size, item.name))
        for part, size in parts:
            if self._remove(part.split(PART_MARK, 1)[0], part=part):
                used -= size
        # Lock files with no copy: a failed download's (one under way holds its lock).
        for name in locks - {name for _, _, name in entries}:
            self._remove(name)
        gone: list[str] = []
        for last_use, size, name in sorted(entries):
            idle = now - last_use > self.idle_s
            if not idle and used + room_for <= self.max_bytes:
                break
            if self._remove(name):
                gone.append(name)
                used -= size
        if room_for and used + room_for > self.max_bytes:
            log.warning(
                "cached sources in use hold %d bytes; SOURCE_CACHE_BYTES is %d",
                used,
                self.max_bytes,
            )
        return gone

    def forget(self, prefixes: Iterable[str]) -> list[str]:
        """Remove the copies of every object under `prefixes` that no step is reading (one in
        use goes once idle). Returns the names gone."""
        wanted = tuple(prefixes)
        gone: list[str] = []
        for lock_path in self.root.glob(f"*{LOCK_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                key = lock_path.read_text(errors="replace")
                name = lock_path.name.removesuffix(LOCK_SUFFIX)
                if key.startswith(wanted) and self._remove(name):
                    gone.append(name)
        return gone

    def _remove(self, name: str, *, part: str | None = None) -> bool:
        """Remove a copy (or only the partial download `part`, a killed downloader's) and its
        lock file, unless someone holds the lock: a step reading it, or a download under way."""
        lock_path = self.root / f"{name}{LOCK_SUFFIX}"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            if not _same_file(fd, lock_path):
                return False  # removed and made again meanwhile: its new holder decides
            if part is not None:
                (self.root / part).unlink(missing_ok=True)
                if (self.root / name).exists():
                    return True  # the copy itself stays
            (self.root / name).unlink(missing_ok=True)
            lock_path.unlink()
            return True
        finally:
            os.close(fd)

    def sweep_every(self, interval_s: float) -> threading.Thread:
        """Evict in the background, so an idle machine's copies go too."""

        def sweep() -> None:
            while True:
                time.sleep(interval_s)
                try:
                    if self.root.is_dir():
                        self.evict()
                except Exception:  # the next sweep tries again; steps never depend on it
                    log.warning("could not sweep cached sources", exc_info=True)

        thread = threading.Thread(target=sweep, daemon=True, name="source-cache-sweep")
        thread.start()
        return thread


def entry_name(version: SourceVersion) -> str:
    """The copy's file name: the key and the version it was, hashed (keys hold slashes)."""
    key = hashlib.sha256(version.key.encode()).hexdigest()[:24]
    made = hashlib.sha256(f"{version.etag}\0{version.size}".encode()).hexdigest()[:16]
    suffix = Path(version.key).suffix
    return f"{key}-{made}{suffix if _SAFE_SUFFIX.fullmatch(suffix) else ''}"


def _whole(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except FileNotFoundError:
        return False


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), path.stat())
    except FileNotFoundError:
        return False


def _touch(path: Path) -> None:
    os.utime(path)


@lru_cache(maxsize=8)
def _cache(root: Path, max_bytes: int, idle_s: float) -> SourceCache:
    cache = SourceCache(root, max_bytes, idle_s)
    # Often enough that a copy outlives its idle lifetime by a quarter of it at most (a minute
    # at most): a sweep is a directory listing.
    cache.sweep_every(max(1.0, min(idle_s / 4, 60.0)))
    return cache


def source_cache(settings: Settings) -> SourceCache | None:
    """The machine's cache of sources (None when SOURCE_CACHE_BYTES is 0)."""
    if settings.source_cache_bytes <= 0:
        return None
    return _cache(
        settings.work_path / "sources", settings.source_cache_bytes, settings.source_cache_idle_s
    )


def source_version(storage: Storage, key: str) -> SourceVersion | None:
    """The object's ETag and size from one HEAD; None when the storage cannot tell (only S3
    can: local storage is read in place)."""
    # Imported here: only a process on S3 pays for boto3.
    from pipelines.storage.s3 import S3Storage, classified_s3_errors

    if not isinstance(storage, S3Storage):
        return None
    with classified_s3_errors(key):
        head = storage.client.head_object(Bucket=storage.bucket, Key=check_key(key))
    return SourceVersion(key=key, etag=str(head["ETag"]), size=int(head["ContentLength"]))


@contextlib.contextmanager
def local_source(
    storage: Storage, key: str, settings: Settings, attempt_dir: Callable[[], Path]
) -> Iterator[Path]:
    """The source as a local file for one step: the file itself on local storage, else the
    machine's cached copy, else (the cache off, or the source bigger than it) a download into
    the attempt's folder."""
    local = storage.local_path(key)
    if local is not None and local.is_file():
        yield local
        return
    cache = source_cache(settings)
    version = source_version(storage, key) if cache is not None else None
    if cache is None or version is None or not cache.fits(version.size):
        yield storage.get_file(key, attempt_dir() / "source" / Path(key).name)
        return
    with cache.hold(version, lambda dest: storage.get_file(key, dest)) as path:
        yield path


def forget_content_sources(settings: Settings, content_id: str) -> int:
    """Remove this machine's cached copies of a deleted content's sources; how many went."""
    cache = source_cache(settings)
    if cache is None or not cache.root.is_dir():
        return 0
    return len(cache.forget(content_prefixes(content_id)))
