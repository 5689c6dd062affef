"""One upload at a time per content: of two sources arriving at once, the one whole first is
taken and the other is refused with 409 in the one error shape (a streamed one when it ends, a
direct upload when it completes), leaving no object behind and no generation whose steps
fail."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from models import Content, Upload
from settings import get_settings
from tests.conftest import Accounts, wait_for_jobs_done, wait_for_status
from tests.storage.conftest import moto_endpoint, s3, s3_api  # noqa: F401  (their fixtures)
from workers.db import session_scope


def test_a_second_source_while_one_arrives_gets_409_and_nothing_fails(
    client, accounts, live_api: str, worker, tone_m4a: Path
) -> None:  # type: ignore[no-untyped-def]
    headers = accounts.auth(accounts.make("creator"))
    content_id = client.post("/api/v1/content", json={"title": "Sunday"}, headers=headers).json()[
        "id"
    ]
    url = f"{live_api}/api/v1/content/{content_id}/source"
    audio = tone_m4a.read_bytes()
    half_sent, go_on = threading.Event(), threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield audio[: len(audio) // 2]
        half_sent.set()
        go_on.wait(30)
        yield audio[len(audio) // 2 :]

    answers: dict[str, httpx.Response] = {}

    def slow_upload() -> None:
        answers["slow"] = httpx.put(
            url,
            content=slow_body(),
            headers={**headers, "content-length": str(len(audio))},
            timeout=60,
        )

    slow = threading.Thread(target=slow_upload)
    slow.start()
    try:
        assert half_sent.wait(30)
        fast = httpx.put(url, content=audio, headers=headers, timeout=60)
    finally:
        go_on.set()
        slow.join(60)

    assert fast.status_code == 202, fast.text
    refused = answers["slow"]
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "conflict" and "source" in refused.json()["detail"]

    done = wait_for_status(client, content_id, headers, {"ready", "failed"})
    assert done["status"] == "ready", done
    assert done["generation"] == 1
    jobs = wait_for_jobs_done(client, content_id, headers)
    assert [job for job in jobs if job["status"] not in ("succeeded", "skipped")] == []
    # Only the accepted source is stored: the refused one left nothing behind.
    sources = list((get_settings().storage_path / "sources" / content_id).iterdir())
    assert len(sources) == 1


PART = 64 * 1024  # tiny parts: the moto server accepts them


def _send_in_parts(api: Any, headers: dict[str, str], content_id: str, body: bytes) -> str:
    """Start a direct upload and put every part to its presigned URL; returns its id."""
    started = api.post(
        f"/api/v1/content/{content_id}/uploads",
        json={"bytes": len(body), "filename": "sermon.m4a"},
        headers=headers,
    )
    assert started.status_code == 201, started.text
    upload = started.json()
    with httpx.Client(timeout=30) as http:
        for url in upload["part_urls"]:
            n, size = url["part_number"], upload["part_size"]
            assert http.put(url["url"], content=body[(n - 1) * size : n * size]).status_code == 200
    return str(upload["upload_id"])


def _failed(content_id: str) -> None:
    """Its generation failed (random bytes are no sermon; no worker runs here)."""
    with session_scope() as session:
        row = session.get(Content, content_id)
        assert row is not None
        row.status = "failed"


def test_a_direct_upload_open_when_another_source_is_taken_ends_and_its_complete_gets_409(
    s3: Any,  # noqa: F811
    s3_api: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipelines.storage import multipart, s3_client

    monkeypatch.setattr(multipart, "MIN_PART_SIZE", PART)
    accounts = Accounts(s3_api)
    headers = accounts.auth(accounts.make("creator"))
    content_id = s3_api.post("/api/v1/content", json={"title": "Sunday"}, headers=headers).json()[
        "id"
    ]
    first = _send_in_parts(s3_api, headers, content_id, os.urandom(PART + 10))
    done = s3_api.post(f"/api/v1/content/{content_id}/uploads/{first}/complete", headers=headers)
    assert done.status_code == 202, done.text
    _failed(content_id)

    late = _send_in_parts(s3_api, headers, content_id, os.urandom(PART + 20))
    # While its parts sit in S3, the creator streams another file, which is taken...
    streamed = s3_api.put(
        f"/api/v1/content/{content_id}/source", content=os.urandom(2048), headers=headers
    )
    assert streamed.status_code == 202, streamed.text
    _failed(content_id)  # ...and its generation is over before the late one completes.

    refused = s3_api.post(f"/api/v1/content/{content_id}/uploads/{late}/complete", headers=headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "conflict" and "aborted" in refused.json()["detail"]
    with session_scope() as session:
        row, upload = session.get(Content, content_id), session.get(Upload, late)
        assert row is not None and upload is not None
        assert row.generation == streamed.json()["generation"] == 2
        assert upload.status == "aborted" and row.source_key != upload.key
        key = upload.key
    listed = s3_client(s3).list_objects_v2(Bucket=s3.s3_bucket, Prefix=key)
    assert listed.get("KeyCount", 0) == 0  # the refused file is not left in the bucket
