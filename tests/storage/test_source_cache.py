"""A worker machine downloads a source from S3 (moto on loopback) once, and every step on it reads
that copy: steps one after another, threads at once, other processes; a replaced object is
fetched again; the cache stays under its cap and idle lifetime without removing a copy in use;
a failed or killed download leaves nothing a later step takes as whole."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import boto3
import msgspec
import pytest

from pipelines.plans import STEPS
from pipelines.storage import LocalStorage, Storage, storage_from_settings
from pipelines.storage.errors import ObjectMissing, StorageUnavailable
from settings import Settings
from tests.conftest import Accounts, wait_for_jobs_done, wait_for_status
from workers.source_cache import (
    SourceCache,
    SourceVersion,
    forget_content_sources,
    local_source,
    source_cache,
    source_version,
)

KiB = 1024


GET_SENT = "before-call.s3.GetObject"  # sent GETs only: presigning a GET URL emits no call


def _key_of(request: dict[str, Any], bucket: str) -> str:
    """The object key a request names (its path, with or without the bucket before it)."""
    return unquote(request["url_path"]).lstrip("/").removeprefix(f"{bucket}/")


class GetCounter:
    """The S3 GETs a client sends, by key (boto3's own event hooks: nothing of ours replaced)."""

    def __init__(self, storage: Any, delay_s: float = 0.0) -> None:
        self.keys: list[str] = []
        self.bucket = storage.bucket
        self.delay_s = delay_s
        self._lock = threading.Lock()
        storage.client.meta.events.register(GET_SENT, self._seen)

    def _seen(self, params: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self.keys.append(_key_of(params, self.bucket))
        time.sleep(self.delay_s)  # a slow link: others ask while the download runs


@pytest.fixture()
def settings(s3: Settings, tmp_path: Path) -> Settings:
    """S3 on moto, with this test's own work folder (so its own cache)."""
    return msgspec.structs.replace(s3, work_dir=str(tmp_path / "work"))


@pytest.fixture()
def storage(settings: Settings) -> Storage:
    return storage_from_settings(settings)


def _put(storage: Storage, data: bytes, key: str | None = None) -> str:
    key = key or f"sources/{secrets.token_hex(8)}/{secrets.token_hex(16)}.mp4"
    storage.put_bytes(key, data)
    return key


def _no_attempt_folder() -> Path:
    raise AssertionError("the step's own folder was asked for: the source was not cached")


def _cached_files(settings: Settings) -> list[Path]:
    root = settings.work_path / "sources"
    return sorted(p for p in root.iterdir() if not p.name.endswith(".lock"))


def _version(storage: Storage, key: str) -> SourceVersion:
    version = source_version(storage, key)
    assert version is not None
    return version


def test_two_steps_reading_one_source_download_it_once(settings: Settings, storage: Any) -> None:
    data = os.urandom(300 * KiB)
    key = _put(storage, data)
    gets = GetCounter(storage)

    with local_source(storage, key, settings, _no_attempt_folder) as first:
        assert first.read_bytes() == data
        first_inode = first.stat().st_ino
    with local_source(storage, key, settings, _no_attempt_folder) as second:
        assert second.read_bytes() == data
        assert second.stat().st_ino == first_inode

    assert gets.keys == [key]
    assert _cached_files(settings) == [second]
    assert not os.access(second, os.W_OK) or os.geteuid() == 0  # read-only to steps


def test_steps_asking_at_once_share_one_download(settings: Settings, storage: Any) -> None:
    data = os.urandom(2 * 1024 * KiB)
    key = _put(storage, data)
    gets = GetCounter(storage, delay_s=0.5)
    start = threading.Barrier(4)
    inodes: list[int] = []
    errors: list[BaseException] = []

    def step() -> None:
        try:
            start.wait()
            with local_source(storage, key, settings, _no_attempt_folder) as path:
                assert path.read_bytes() == data
                inodes.append(path.stat().st_ino)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=step) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(inodes) == 4 and len(set(inodes)) == 1
    assert gets.keys == [key]


# Another worker process on the same machine: the same cache folder, its own S3 client.
CHILD = """
import sys
from pathlib import Path
import msgspec
from settings import get_settings
from pipelines.storage import storage_from_settings
from workers.source_cache import local_source

settings = msgspec.structs.replace(get_settings(), work_dir=sys.argv[1])
storage = storage_from_settings(settings)
gets = []
storage.client.meta.events.register("before-call.s3.GetObject", lambda **_: gets.append(1))
def no_folder() -> Path:
    raise AssertionError("not cached")
with local_source(storage, sys.argv[2], settings, no_folder) as path:
    print(len(gets), path.stat().st_ino, path.stat().st_size)
"""


def test_another_worker_process_reads_the_copy_this_one_downloaded(
    settings: Settings, storage: Any
) -> None:
    data = os.urandom(200 * KiB)
    key = _put(storage, data)
    with local_source(storage, key, settings, _no_attempt_folder) as path:
        inode = path.stat().st_ino
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(settings.work_path), key],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **_s3_environment(settings)},
        )
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["0", str(inode), str(len(data))]


def _s3_environment(settings: Settings) -> dict[str, str]:
    return {
        "STORAGE_BACKEND": "s3",
        "S3_ENDPOINT_URL": settings.s3_endpoint_url,
        "S3_BUCKET": settings.s3_bucket,
        "AWS_ACCESS_KEY_ID": settings.aws_access_key_id,
        "AWS_SECRET_ACCESS_KEY": settings.aws_secret_access_key,
    }


def test_a_replaced_source_is_fetched_again(settings: Settings, storage: Any) -> None:
    key = _put(storage, b"the first upload " * 1000)
    gets = GetCounter(storage)
    with local_source(storage, key, settings, _no_attempt_folder) as path:
        assert path.read_bytes() == b"the first upload " * 1000

    storage.put_bytes(key, b"the second upload" * 1000)  # same key and size, another ETag
    with local_source(storage, key, settings, _no_attempt_folder) as path:
        assert path.read_bytes() == b"the second upload" * 1000

    other = _put(storage, b"a new upload, a new key")
    with local_source(storage, other, settings, _no_attempt_folder) as path:
        assert path.read_bytes() == b"a new upload, a new key"
    assert gets.keys == [key, key, other]


def test_the_cache_stays_under_its_cap_without_removing_a_copy_in_use(
    storage: Any, tmp_path: Path
) -> None:
    cache = SourceCache(tmp_path / "sources", max_bytes=250 * KiB, idle_s=3600)
    first, second, third = (_put(storage, os.urandom(100 * KiB)) for _ in range(3))

    def hold(key: str) -> Any:
        return cache.hold(_version(storage, key), lambda dest: storage.get_file(key, dest))

    with hold(first) as in_use:
        with hold(second) as unused:
            pass
        os.utime(unused, (time.time() - 60, time.time() - 60))  # used before the first
        os.utime(in_use, (time.time() - 120, time.time() - 120))  # least recent, but held
        with hold(third) as newest:
            assert in_use.is_file() and newest.is_file()
            assert not unused.exists()
    assert sum(p.stat().st_size for p in (tmp_path / "sources").iterdir()) <= 250 * KiB


def test_idle_copies_go_unless_in_use(storage: Any, tmp_path: Path) -> None:
    cache = SourceCache(tmp_path / "sources", max_bytes=10 * 1024 * KiB, idle_s=30)
    busy, idle = _put(storage, b"busy" * 100), _put(storage, b"idle" * 100)
    with cache.hold(_version(storage, idle), lambda d: storage.get_file(idle, d)) as idle_copy:
        pass
    with cache.hold(_version(storage, busy), lambda d: storage.get_file(busy, d)) as busy_copy:
        assert cache.evict(now=time.time() + 10) == []  # nothing idle yet
        gone = cache.evict(now=time.time() + 31)
        assert gone == [idle_copy.name]
        assert busy_copy.is_file() and not idle_copy.exists()
    assert sorted(p.name for p in (tmp_path / "sources").iterdir()) == [
        busy_copy.name,
        f"{busy_copy.name}.lock",
    ]
    assert cache.evict(now=time.time() + 31) == [busy_copy.name]
    assert list((tmp_path / "sources").iterdir()) == []


def test_an_idle_machine_removes_its_idle_copies_by_itself(
    settings: Settings, storage: Any
) -> None:
    quick = msgspec.structs.replace(settings, source_cache_idle_s=0.5)
    key = _put(storage, b"an old sermon")
    with local_source(storage, key, quick, _no_attempt_folder) as path:
        time.sleep(1.5)  # longer than idle, but in use
        assert path.is_file()
    deadline = time.monotonic() + 10
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # no step runs: only the background sweep removes it
    assert not path.exists()
    assert list((quick.work_path / "sources").iterdir()) == []


def test_a_deleted_contents_copies_are_forgotten_unless_in_use(
    settings: Settings, storage: Any
) -> None:
    deleted, kept = secrets.token_hex(8), secrets.token_hex(8)
    source = _put(storage, b"deleted", f"sources/{deleted}/upload.mp3")
    edited = _put(storage, b"trimmed", f"media/{deleted}/g1/source/trimmed")
    other = _put(storage, b"kept", f"sources/{kept}/upload.mp3")
    for key in (source, edited, other):
        with local_source(storage, key, settings, _no_attempt_folder):
            pass
    with local_source(storage, source, settings, _no_attempt_folder) as in_use:
        assert forget_content_sources(settings, deleted) == 1  # the trimmed copy
        assert in_use.read_bytes() == b"deleted"
    assert forget_content_sources(settings, deleted) == 1
    assert [p.read_bytes() for p in _cached_files(settings)] == [b"kept"]


def test_a_failed_download_leaves_nothing_a_later_step_takes_as_whole(
    settings: Settings, storage: Any
) -> None:
    data = os.urandom(100 * KiB)
    key = _put(storage, data)
    cache = source_cache(settings)
    assert cache is not None
    version = _version(storage, key)

    def cut_short(dest: Path) -> None:
        storage.get_file(key, dest)
        with open(dest, "r+b") as handle:
            handle.truncate(len(data) // 2)  # the connection dropped; nothing said so

    def broken(dest: Path) -> None:
        dest.write_bytes(data[:1000])
        raise StorageUnavailable("connection reset")

    short = pytest.raises(StorageUnavailable, match="ended at 51200 of 102400 bytes")
    with short, cache.hold(version, cut_short):
        pass
    with pytest.raises(StorageUnavailable, match="connection reset"), cache.hold(version, broken):
        pass
    storage.delete(key)  # deleted between the HEAD and the GET
    gone = pytest.raises(ObjectMissing)
    with gone, cache.hold(version, lambda dest: storage.get_file(key, dest)):
        pass
    assert _cached_files(settings) == []

    storage.put_bytes(key, data)
    with local_source(storage, key, settings, _no_attempt_folder) as path:
        assert path.read_bytes() == data


# A worker killed in the middle of a download (what the OOM killer does).
KILLED_CHILD = """
import sys, time
from pathlib import Path
from workers.source_cache import SourceCache, SourceVersion

cache = SourceCache(Path(sys.argv[1]), max_bytes=10**9, idle_s=3600)
version = SourceVersion(key=sys.argv[2], etag=sys.argv[3], size=int(sys.argv[4]))

def fetch(dest: Path) -> None:
    with open(dest, "wb") as handle:
        handle.write(b"half" * 1000)
        handle.flush()
        print("downloading", flush=True)
        time.sleep(60)

with cache.hold(version, fetch):
    pass
"""


def test_a_worker_killed_mid_download_leaves_nothing_taken_as_whole(
    settings: Settings, storage: Any
) -> None:
    data = os.urandom(100 * KiB)
    key = _put(storage, data)
    version = _version(storage, key)
    cache = source_cache(settings)
    assert cache is not None
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_CHILD,
            str(cache.root),
            key,
            version.etag,
            str(version.size),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "downloading"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    assert len(list(cache.root.glob("*.part-*"))) == 1  # the killed download's bytes

    gets = GetCounter(storage)
    with local_source(storage, key, settings, _no_attempt_folder) as path:
        assert path.read_bytes() == data
    assert gets.keys == [key]
    assert list(cache.root.glob("*.part-*")) == []


def test_a_source_bigger_than_the_cap_is_downloaded_into_the_steps_folder(
    settings: Settings, storage: Any, tmp_path: Path
) -> None:
    small = msgspec.structs.replace(settings, source_cache_bytes=10 * KiB)
    data = os.urandom(20 * KiB)
    key = _put(storage, data)
    with local_source(storage, key, small, lambda: tmp_path / "attempt") as path:
        assert path == tmp_path / "attempt" / "source" / Path(key).name
        assert path.read_bytes() == data
    assert not (settings.work_path / "sources").exists()


def test_local_storage_is_read_in_place(tmp_path: Path, settings: Settings) -> None:
    local = LocalStorage(tmp_path / "storage")
    local.put_bytes("sources/x/upload.mp3", b"sound")
    with local_source(local, "sources/x/upload.mp3", settings, _no_attempt_folder) as path:
        assert path == local.local_path("sources/x/upload.mp3")
    assert not (settings.work_path / "sources").exists()


@pytest.fixture()
def worker_gets(s3: Settings) -> Iterator[list[str]]:
    """GETs sent by every S3 client made from now on, the worker's included."""
    keys: list[str] = []
    session = boto3.DEFAULT_SESSION  # made by the fixture's first client; later ones copy its hooks
    assert session is not None

    def seen(params: dict[str, Any], **_: Any) -> None:
        keys.append(_key_of(params, s3.s3_bucket))

    session.events.register(GET_SENT, seen)
    try:
        yield keys
    finally:
        session.events.unregister(GET_SENT, seen)


def test_a_worker_downloads_a_sermons_source_once_for_all_its_steps(
    s3: Settings, worker_gets: list[str], s3_api: Any, worker: object, tone_m4a: Path
) -> None:
    accounts = Accounts(s3_api)
    headers = accounts.auth(accounts.make("creator"))
    content_id = s3_api.post(
        "/api/v1/content", json={"title": "Once Is Enough"}, headers=headers
    ).json()["id"]
    sent = s3_api.put(
        f"/api/v1/content/{content_id}/source",
        content=tone_m4a.read_bytes(),
        headers={**headers, "X-Filename": tone_m4a.name},
    )
    assert sent.status_code == 202, sent.text
    ready = wait_for_status(s3_api, content_id, headers, {"ready", "failed"}, timeout=120)
    assert ready["status"] == "ready", ready
    jobs = wait_for_jobs_done(s3_api, content_id, headers)

    readers = [j for j in jobs if j["status"] == "succeeded" and STEPS[j["step"]].reads_source]
    assert len(readers) >= 3, jobs  # probe, encode_audio, waveform
    source_gets = [k for k in worker_gets if k.startswith(f"sources/{content_id}/")]
    assert len(source_gets) == 1, worker_gets
    # The machine's one copy of it, found by the content it belongs to.
    assert forget_content_sources(s3, content_id) == 1
