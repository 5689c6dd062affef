"""Direct-to-S3 uploads: parts PUT straight to S3 (moto) over real HTTP through presigned URLs."""

from __future__ import annotations

import hashlib
import os
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

PART = 64 * 1024  # tiny parts: the moto server accepts them (S3_UPLOAD_PART_MIN_SIZE)


@pytest.fixture(autouse=True)
def tiny_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.storage import multipart

    monkeypatch.setattr(multipart, "MIN_PART_SIZE", PART)
    monkeypatch.setenv("UPLOAD_PART_SIZE", str(PART))  # read by the `s3` fixture's settings


@pytest.fixture()
def creator(s3_api: Any) -> dict[str, str]:
    from tests.conftest import Accounts

    accounts = Accounts(s3_api)
    return accounts.auth(accounts.make("creator"))


def _draft(api: Any, headers: dict[str, str], title: str = "Sunday sermon") -> str:
    response = api.post("/api/v1/content", json={"title": title}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _start(
    api: Any, headers: dict[str, str], content_id: str, body: bytes, **extra: Any
) -> dict[str, Any]:
    response = api.post(
        f"/api/v1/content/{content_id}/uploads",
        json={"bytes": len(body), "filename": "sermon.m4a", **extra},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _put_parts(upload: dict[str, Any], body: bytes, numbers: list[int]) -> dict[int, str]:
    """Send parts the way a browser does: a plain HTTP PUT of the bytes to each presigned URL."""
    urls = {u["part_number"]: u["url"] for u in upload["part_urls"]}
    size = upload["part_size"]
    etags = {}
    with httpx.Client(timeout=30) as http:
        for n in numbers:
            response = http.put(urls[n], content=body[(n - 1) * size : n * size])
            assert response.status_code == 200, response.text
            etags[n] = response.headers["etag"]
    return etags


def _body(parts: float) -> bytes:
    return os.urandom(int(PART * parts))


def _object(settings: Any, key: str) -> bytes:
    from pipelines.storage import s3_client

    return bytes(s3_client(settings).get_object(Bucket=settings.s3_bucket, Key=key)["Body"].read())


def _jobs(api: Any, headers: dict[str, str], content_id: str) -> dict[str, Any]:
    return dict(api.get(f"/api/v1/content/{content_id}", headers=headers).json())


def test_a_file_sent_in_parts_through_presigned_urls_becomes_the_source(
    s3: Any, s3_api: Any, creator: dict[str, str]
) -> None:
    body = _body(3.5)
    content_id = _draft(s3_api, creator)
    upload = _start(s3_api, creator, content_id, body, sha256=hashlib.sha256(body).hexdigest())
    assert upload["part_count"] == 4 and upload["part_size"] == PART
    etags = _put_parts(upload, body, [1, 2, 3, 4])

    done = s3_api.post(
        f"/api/v1/content/{content_id}/uploads/{upload['upload_id']}/complete",
        json={"parts": [{"part_number": n, "etag": e} for n, e in etags.items()]},
        headers=creator,
    )
    assert done.status_code == 202, done.text
    assert done.json()["status"] == "processing" and done.json()["bytes"] == len(body)
    content = _jobs(s3_api, creator, content_id)
    assert content["source_bytes"] == len(body)
    assert content["source_sha256"] == hashlib.sha256(body).hexdigest()
    from models import Content
    from workers.db import session_scope

    with session_scope() as session:
        row = session.get(Content, content_id)
        assert row is not None and row.source_key is not None
        key = row.source_key
    assert key.startswith(f"sources/{content_id}/") and key.endswith(".m4a")
    assert _object(s3, key) == body

    # A retried complete (its answer lost) answers the same and starts nothing twice.
    again = s3_api.post(
        f"/api/v1/content/{content_id}/uploads/{upload['upload_id']}/complete", headers=creator
    )
    assert again.status_code == 202 and again.json()["generation"] == done.json()["generation"]


def test_a_client_that_stopped_half_way_resumes_from_the_parts_s3_holds(
    s3: Any, s3_api: Any, creator: dict[str, str]
) -> None:
    body = _body(5.2)
    content_id = _draft(s3_api, creator)
    upload = _start(s3_api, creator, content_id, body)
    _put_parts(upload, body, [1, 2, 3])  # ...and the church Wi-Fi drops

    status = s3_api.get(
        f"/api/v1/content/{content_id}/uploads/{upload['upload_id']}", headers=creator
    ).json()
    assert [p["part_number"] for p in status["parts"]] == [1, 2, 3]
    assert all(p["size"] == PART for p in status["parts"])
    assert status["missing"] == [4, 5, 6]
    assert sorted(u["part_number"] for u in status["part_urls"]) == [4, 5, 6]

    _put_parts(status, body, [4, 5, 6])  # with the fresh URLs of the status read
    done = s3_api.post(
        f"/api/v1/content/{content_id}/uploads/{upload['upload_id']}/complete", headers=creator
    )
    assert done.status_code == 202, done.text
    from models import Content
    from workers.db import session_scope

    with session_scope() as session:
        key = session.get(Content, content_id).source_key  # type: ignore[union-attr]
    assert _object(s3, key) == body  # type: ignore[arg-type]


def test_complete_with_a_missing_part_is_refused_and_nothing_is_processed(
    s3: Any, s3_api: Any, creator: dict[str, str]
) -> None:
    body = _body(3)
    content_id = _draft(s3_api, creator)
    upload = _start(s3_api, creator, content_id, body)
    _put_parts(upload, body, [1, 3])

    refused = s3_api.post(
        f"/api/v1/content/{content_id}/uploads/{upload['upload_id']}/complete", headers=creator
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "upload_incomplete"
    assert refused.json()["extra"]["missing"] == [2]
    content = _jobs(s3_api, creator, content_id)
    assert content["status"] == "uploading" and content["jobs"] == []
    assert content["source_bytes"] is None

    # The upload is still open: sending the missing part and completing works.
    _put_parts(upload, body, [2])
    done = s3_api.post(
        f"/api/v1/content/{content_id}/uploads/{upload['upload_id']}/complete", headers=creator
    )
    assert done.status_code == 202, done.text


def test_complete_with_the_wrong_size_is_refused_and_nothing_is_processed(
    s3: Any, s3_api: Any, creator: dict[str, str]
) -> None:
    body = _body(2.5)
    content_id = _draft(s3_api, creator)
    upload = _start(s3_api, creator, content_id, body)
    short = body[: -PART // 4]  # the last part arrives short
    _put_parts(upload, short, [1, 2, 3])

    refused = s3_api.post(
        f"/api/v1/content/{content_id}/uploads/{upload['upload_id']}/complete", headers=creator
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "upload_size_mismatch"
    assert str(len(body)) in refused.json()["detail"]
    content = _jobs(s3_api, creator, content_id)
    assert content["jobs"] == [] and content["source_bytes"] is None


def test_a_checksum_that_does_not_match_leaves_no_object_and_nothing_processed(
    s3: Any, s3_api: Any, creator: dict[str, str]
) -> None:
    from pipelines.storage import storage_from_settings

    body = _body(2)
    content_id = _draft(s3_api, creator)
    upload = _start(s3_api, creator, content_id, body, sha256="0" * 64)
    _put_parts(upload, body, [1, 2])

    refused = s3_api.post(
        f"/api/v1/content/{content_id}/uploads/{upload['upload_id']}/complete", headers=creator
    )
    assert refused.status_code == 400 and refused.json()["code"] == "checksum_mismatch"
    assert storage_from_settings(s3).list_keys(f"sources/{content_id}/") == []
    content = _jobs(s3_api, creator, content_id)
    assert content["jobs"] == [] and content["status"] == "draft"


def test_part_urls_are_sigv4_with_the_set_expiry_and_a_status_read_reissues_them(
    s3: Any, s3_api: Any, creator: dict[str, str]
) -> None:
    """moto accepts expired and tampered presigned URLs alike, so what can be checked here is
    that the URLs S3 would judge carry a SigV4 signature over the set lifetime, and that a client
    whose URLs expired gets new ones from the API rather than being stuck."""
    body = _body(2)
    content_id = _draft(s3_api, creator)
    upload = _start(s3_api, creator, content_id, body)
    first = parse_qs(urlparse(upload["part_urls"][0]["url"]).query)
    assert first["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert first["X-Amz-Expires"] == [str(s3.upload_url_ttl_s)]
    assert len(first["X-Amz-Signature"][0]) == 64 and first["uploadId"]
    assert first["partNumber"] == ["1"]

    # Later, the URLs have expired: a status read hands out fresh ones for what is missing.
    status = s3_api.get(
        f"/api/v1/content/{content_id}/uploads/{upload['upload_id']}", headers=creator
    ).json()
    assert status["missing"] == [1, 2] and len(status["part_urls"]) == 2
    assert status["urls_expire_at"] >= upload["urls_expire_at"]
    more = s3_api.post(
        f"/api/v1/content/{content_id}/uploads/{upload['upload_id']}/parts",
        json={"part_numbers": [2]},
        headers=creator,
    )
    assert more.status_code == 200 and [u["part_number"] for u in more.json()["part_urls"]] == [2]
    beyond = s3_api.post(
        f"/api/v1/content/{content_id}/uploads/{upload['upload_id']}/parts",
        json={"part_numbers": [3]},
        headers=creator,
    )
    assert beyond.status_code == 422


def test_abort_and_the_stale_sweep_leave_no_unfinished_upload_in_s3(
    s3: Any, s3_api: Any, creator: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.storage import storage_from_settings
    from pipelines.storage.multipart import pending_uploads
    from workers.clock.stale_uploads import abort_stale_uploads

    storage = storage_from_settings(s3)
    body = _body(2)
    aborted_id = _draft(s3_api, creator, "Aborted")
    aborted = _start(s3_api, creator, aborted_id, body)
    _put_parts(aborted, body, [1])
    gone = s3_api.delete(
        f"/api/v1/content/{aborted_id}/uploads/{aborted['upload_id']}", headers=creator
    )
    assert gone.status_code == 204
    assert _jobs(s3_api, creator, aborted_id)["status"] == "draft"

    stale_id = _draft(s3_api, creator, "Forgotten")
    stale = _start(s3_api, creator, stale_id, body)
    _put_parts(stale, body, [1])
    assert len(pending_uploads(storage, "sources/")) == 1
    abort_stale_uploads()
    assert len(pending_uploads(storage, "sources/")) == 1  # not stale yet

    monkeypatch.setenv("UPLOAD_STALE_AFTER_S", "0")
    from settings import get_settings

    get_settings.cache_clear()
    abort_stale_uploads()
    assert pending_uploads(storage, "sources/") == []
    status = s3_api.get(
        f"/api/v1/content/{stale_id}/uploads/{stale['upload_id']}", headers=creator
    ).json()
    assert status["status"] == "aborted"
    assert _jobs(s3_api, creator, stale_id)["status"] == "draft"


def test_direct_uploads_need_s3(client: Any, accounts: Any) -> None:
    headers = accounts.auth(accounts.make("creator"))
    content_id = _draft(client, headers)
    response = client.post(
        f"/api/v1/content/{content_id}/uploads", json={"bytes": 10}, headers=headers
    )
    assert response.status_code == 409 and "PUT /source" in response.json()["detail"]


def test_part_urls_point_where_browsers_reach_the_bucket(s3: Any, creator: Any) -> None:
    """Under compose the platform reaches MinIO at http://minio:9000, which no browser resolves:
    part URLs are presigned at S3_PUBLIC_ENDPOINT_URL (here the same moto by another name)."""
    import msgspec
    from litestar.testing import TestClient

    from api.app import create_app

    public = s3.s3_endpoint_url.replace("127.0.0.1", "localhost")
    settings = msgspec.structs.replace(s3, s3_public_endpoint_url=public)
    body = _body(2.5)
    with TestClient(create_app(settings), base_url="http://testserver.local") as api:
        content_id = _draft(api, creator)
        upload = _start(api, creator, content_id, body)
        assert all(u["url"].startswith(f"{public}/") for u in upload["part_urls"])
        etags = _put_parts(upload, body, [1, 2, 3])
        done = api.post(
            f"/api/v1/content/{content_id}/uploads/{upload['upload_id']}/complete",
            json={"parts": [{"part_number": n, "etag": e} for n, e in etags.items()]},
            headers=creator,
        )
        assert done.status_code == 202, done.text
