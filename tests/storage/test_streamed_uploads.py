"""PUT /content/{id}/source through a real uvicorn: constant memory, hashed on the way, and a body
cut short leaves no object behind and the content ready for another try."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from tests.storage.conftest import sign_in, start_uvicorn

MiB = 1024 * 1024


@pytest.fixture()
def api_process(clean_db: None) -> Iterator[tuple[Any, str]]:
    process, base = start_uvicorn(dict(os.environ))
    try:
        yield process, base
    finally:
        process.terminate()
        process.wait(timeout=10)


def _memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the peak so far) of a process, from /proc."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            figures[name] = int(value.split()[0])
    return figures


def _sha256_of_generated(total: int, block: int, chunk: bytes) -> str:
    digest = hashlib.sha256()
    sent = 0
    while sent < total:
        piece = chunk[: min(block, total - sent)]
        sent += len(piece)
        digest.update(piece)
    return digest.hexdigest()


def _send_cut_short(
    base: str, path: str, headers: dict[str, str], announced: int, sent: int
) -> None:
    """Announce `announced` bytes, send `sent`, then drop the connection (a Wi-Fi drop)."""
    url = urlparse(base)
    with socket.create_connection((url.hostname, url.port)) as sock:
        head = (
            f"PUT {path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Length: {announced}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            + "\r\n"
        )
        sock.sendall(head.encode())
        block = os.urandom(256 * 1024)
        remaining = sent
        while remaining > 0:
            piece = block[: min(len(block), remaining)]
            sock.sendall(piece)
            remaining -= len(piece)
        time.sleep(0.3)
    time.sleep(1.0)  # the API notices the disconnect and cleans up


def _cut_short_leaves_nothing(base: str, list_sources: Any, pending: Any) -> None:
    headers = sign_in(base)
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        content_id = http.post("/api/v1/content", json={"title": "Cut short"}).json()["id"]
        _send_cut_short(base, f"/api/v1/content/{content_id}/source", headers, 40 * MiB, 12 * MiB)
        assert list_sources(content_id) == []
        assert pending() == []
        after = http.get(f"/api/v1/content/{content_id}").json()
        assert after["status"] == "draft" and after["source_bytes"] is None

        # Another try with the whole file succeeds.
        body = os.urandom(3 * MiB)
        retried = http.put(f"/api/v1/content/{content_id}/source", content=body)
        assert retried.status_code == 202, retried.text
        assert retried.json()["sha256"] == hashlib.sha256(body).hexdigest()
        assert len(list_sources(content_id)) == 1


def test_a_streamed_upload_cut_short_leaves_no_object_on_disk(
    api_process: tuple[Any, str],
) -> None:
    from settings import get_settings

    _, base = api_process
    root = Path(get_settings().storage_path)

    def list_sources(content_id: str) -> list[str]:
        folder = root / "sources" / content_id
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []

    _cut_short_leaves_nothing(base, list_sources, lambda: [])


def test_a_streamed_upload_cut_short_leaves_no_object_or_part_in_s3(s3: Any) -> None:
    from pipelines.storage import storage_from_settings
    from pipelines.storage.multipart import pending_uploads

    storage = storage_from_settings(s3)
    process, base = start_uvicorn(dict(os.environ))
    try:
        _cut_short_leaves_nothing(
            base,
            lambda content_id: storage.list_keys(f"sources/{content_id}/"),
            lambda: pending_uploads(storage, "sources/"),
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_1_gib_streamed_upload_raises_the_api_rss_by_less_than_64_mib(
    api_process: tuple[Any, str],
) -> None:
    process, base = api_process
    headers = sign_in(base)
    total = 1024 * MiB
    with httpx.Client(base_url=base, headers=headers, timeout=300) as http:
        # Warm up: imports, pools and the first thread are in place before the baseline.
        warm = http.post("/api/v1/content", json={"title": "Warm-up"}).json()["id"]
        assert http.put(f"/api/v1/content/{warm}/source", content=b"x" * MiB).status_code == 202
        content_id = http.post("/api/v1/content", json={"title": "An hour"}).json()["id"]
        # VmHWM is the lifetime peak (start-up imports reach it): start it afresh (Linux >= 4.0).
        Path(f"/proc/{process.pid}/clear_refs").write_text("5")
        before = _memory_kib(process.pid)
        block = os.urandom(MiB)
        chunks = (block for _ in range(total // MiB))
        sent = http.put(
            f"/api/v1/content/{content_id}/source",
            content=chunks,
            headers={"Content-Length": str(total)},
        )
        after = _memory_kib(process.pid)
    assert sent.status_code == 202, sent.text
    assert sent.json()["bytes"] == total
    assert sent.json()["sha256"] == _sha256_of_generated(total, MiB, block)
    growth_mib = (after["VmHWM"] - before["VmRSS"]) / 1024
    print(
        f"API RSS before {before['VmRSS'] / 1024:.1f} MiB, peak after {after['VmHWM'] / 1024:.1f}"
    )
    assert growth_mib < 64, f"the API grew by {growth_mib:.1f} MiB for a 1 GiB upload"
