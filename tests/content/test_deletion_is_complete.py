"""Deleting a content removes every object of it, whatever is running: a source still arriving
is refused with 404 in the one error shape and leaves nothing, a step still writing removes what
it wrote after the delete, and the clock's sweep removes objects no row owns (once they are
older than the grace period) on local storage and on S3."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from models import Content, Job, LiveSession, Post, Series, User
from pipelines.storage import Storage, storage_from_settings
from settings import get_settings
from tests.conftest import Accounts, serve_api, wait_for_status
from tests.jobs.conftest import (  # noqa: F401  (worker_processes: its fixture)
    WorkerProcess,
    make_video,
    upload,
    wait_until,
    worker_processes,
)
from tests.storage.conftest import moto_endpoint, s3, sign_in  # noqa: F401  (their fixtures)
from workers.clock.orphans import sweep_orphans
from workers.db import session_scope


def _draft(base: str, headers: dict[str, str]) -> str:
    made = httpx.post(f"{base}/api/v1/content", json={"title": "Sunday"}, headers=headers)
    return str(made.json()["id"])


def _delete_while_streaming(
    base: str, headers: dict[str, str], content_id: str, path: str, body: bytes
) -> httpx.Response:
    """Stream half of `body` to `path`, delete the content, send the rest: the upload's answer."""
    half_sent, go_on = threading.Event(), threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield body[: len(body) // 2]
        half_sent.set()
        go_on.wait(30)
        yield body[len(body) // 2 :]

    answers: dict[str, httpx.Response] = {}

    def slow_upload() -> None:
        answers["upload"] = httpx.put(
            f"{base}/api/v1/content/{content_id}/{path}",
            content=slow_body(),
            headers={**headers, "content-length": str(len(body))},
            timeout=60,
        )

    uploading = threading.Thread(target=slow_upload)
    uploading.start()
    try:
        assert half_sent.wait(30)
        deleted = httpx.delete(f"{base}/api/v1/content/{content_id}", headers=headers, timeout=30)
        assert deleted.status_code == 204, deleted.text
    finally:
        go_on.set()
        uploading.join(60)
    return answers["upload"]


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _assert_gone_in_one_shape(answer: httpx.Response) -> None:
    assert answer.status_code == 404, answer.text
    body = answer.json()
    assert body["code"] == "not_found" and "deleted" in body["detail"], body
    assert set(body) <= {"code", "detail", "extra"}


def test_a_delete_during_a_streamed_upload_answers_404_and_keeps_no_file(
    live_api: str, tone_m4a: Path
) -> None:
    headers = sign_in(live_api)
    content_id = _draft(live_api, headers)
    answer = _delete_while_streaming(live_api, headers, content_id, "source", tone_m4a.read_bytes())
    _assert_gone_in_one_shape(answer)
    # Neither the file nor a half-written temporary one.
    assert _files_under(get_settings().storage_path / "sources" / content_id) == []


def test_a_delete_during_a_streamed_upload_to_s3_answers_404_and_keeps_nothing(
    s3: Any,  # noqa: F811
    tone_m4a: Path,
) -> None:
    from pipelines.storage import s3_client
    from pipelines.storage.multipart import pending_uploads

    with serve_api() as base:
        headers = sign_in(base)
        content_id = _draft(base, headers)
        answer = _delete_while_streaming(base, headers, content_id, "source", tone_m4a.read_bytes())
    _assert_gone_in_one_shape(answer)
    prefix = f"sources/{content_id}/"
    listed = s3_client(s3).list_objects_v2(Bucket=s3.s3_bucket, Prefix=prefix)
    assert listed.get("KeyCount", 0) == 0
    assert pending_uploads(storage_from_settings(s3), prefix) == []  # no parts left billed


def test_a_delete_while_an_added_audio_track_streams_answers_404_and_keeps_no_file(
    client,  # type: ignore[no-untyped-def]
    accounts: Accounts,
    worker: object,
    live_api: str,
    media_dir: Path,
    tone_m4a: Path,
) -> None:
    headers = accounts.auth(accounts.make("creator"))
    content_id = upload(client, headers, make_video(media_dir / "service-3s.mp4", 3.0, "320x240"))
    assert wait_for_status(client, content_id, headers, {"ready", "failed"})["status"] == "ready"
    answer = _delete_while_streaming(
        live_api, headers, content_id, "audio-tracks/es", tone_m4a.read_bytes()
    )
    _assert_gone_in_one_shape(answer)
    assert _files_under(get_settings().storage_path / "sources" / content_id) == []


def test_a_step_running_when_its_content_is_deleted_removes_what_it_wrote_after(
    client,  # type: ignore[no-untyped-def]
    accounts: Accounts,
    worker_processes: Callable[..., WorkerProcess],  # noqa: F811
    tone_m4a: Path,
    tmp_path: Path,
) -> None:
    import workers.actors  # noqa: F401  (declares the actors before a message is sent)
    from workers.orchestrator import send_job

    owner = accounts.make("creator")
    storage = storage_from_settings(get_settings())
    with session_scope() as session:
        content = Content(
            owner_id=owner["id"], kind="sermon", title="Sunday", status="processing",
            visibility="private", generation=1, media_type="audio",
        )  # fmt: skip
        session.add(content)
        session.flush()
        content.source_key = f"sources/{content.id}/sermon.m4a"
        job = Job(content_id=content.id, step="waveform", generation=1, queue="media")
        session.add(job)
        session.flush()
        content_id, job_id, source = content.id, job.id, content.source_key
    storage.put_file(source, tone_m4a)
    worker_processes(
        ["media"], modules=("tests.content.paused_waveform",), CNT_TEST_GATE=str(tmp_path)
    )
    send_job(job_id, "waveform")
    wait_until(lambda: (tmp_path / f"{content_id}.writing").exists(), what="the step to write")
    assert storage.list_keys(f"media/{content_id}/") == [
        f"media/{content_id}/g1/waveform/early.json"
    ]

    deleted = client.delete(f"/api/v1/content/{content_id}", headers=accounts.auth(owner))
    assert deleted.status_code == 204, deleted.text
    assert storage.list_keys(f"media/{content_id}/") == []
    (tmp_path / f"{content_id}.go").touch()  # the step writes again, after the delete
    wait_until(lambda: (tmp_path / f"{content_id}.wrote").exists(), what="the late write")

    wait_until(
        lambda: storage.list_keys(f"media/{content_id}/") == [],
        what="the late output to be removed",
    )
    assert storage.list_keys(f"sources/{content_id}/") == []


def _rows() -> dict[str, str]:
    """One owner row of each kind; their ids by the prefix they own."""
    with session_scope() as session:
        user = User(email="owner@church.test", password_hash="x", role="creator")
        session.add(user)
        session.flush()
        content = Content(owner_id=user.id, kind="sermon", title="Kept", visibility="private")
        series = Series(owner_id=user.id, title="Romans")
        post = Post(author_id=user.id, text="Pray for us")
        live = LiveSession(owner_id=user.id, room_name="sunday-room", title="Sunday")
        session.add_all([content, series, post, live])
        session.flush()
        # A recording whose session is gone, but which became a content's source.
        session.add(
            Content(
                owner_id=user.id, kind="recording", title="Recorded", visibility="private",
                source_key="recordings/ended-session/2026-11-29.mp4",
            )
        )  # fmt: skip
        return {
            "media/": content.id,
            "sources/": content.id,
            "series/": series.id,
            "community/posts/": post.id,
            "recordings/": live.id,
        }


def _fill(storage: Storage, owned: dict[str, str]) -> tuple[list[str], list[str]]:
    """Objects of owned folders and of orphaned ones; the keys of each."""
    kept, orphaned = [], []
    for prefix, row_id in owned.items():
        kept.append(f"{prefix}{row_id}/g1/a.bin")
        orphaned.append(f"{prefix}deleted-{prefix.strip('/').replace('/', '-')}/g1/a.bin")
    kept.append("recordings/ended-session/2026-11-29.mp4")
    kept.append("backups/not-ours-to-judge.bin")  # outside every owned folder: never touched
    for key in kept + orphaned:
        storage.put_bytes(key, b"x")
    return sorted(kept), sorted(orphaned)


def _all_keys(storage: Storage) -> list[str]:
    return sorted(
        key
        for prefix in ("media/", "sources/", "series/", "community/", "recordings/", "backups/")
        for key in storage.list_keys(prefix)
    )


def _sweep_with_grace(monkeypatch: pytest.MonkeyPatch, seconds: int) -> Any:
    monkeypatch.setenv("ORPHAN_GRACE_S", str(seconds))
    get_settings.cache_clear()
    try:
        return sweep_orphans()
    finally:
        monkeypatch.delenv("ORPHAN_GRACE_S")
        get_settings.cache_clear()


def _sweep_keeps_owned_and_young_and_removes_old_orphans(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept, orphaned = _fill(storage, _rows())

    young = _sweep_with_grace(monkeypatch, 3600)
    assert young.removed == [] and len(young.young) == len(orphaned)
    assert _all_keys(storage) == sorted(kept + orphaned)

    old = _sweep_with_grace(monkeypatch, 0)  # now every orphan is past its grace
    assert sorted(old.removed) == sorted(key.rsplit("/g1/", 1)[0] + "/" for key in orphaned)
    assert _all_keys(storage) == kept


def test_the_sweep_removes_old_orphans_and_keeps_owned_and_young_ones_on_disk(
    clean_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    shutil.rmtree(settings.storage_path, ignore_errors=True)
    _sweep_keeps_owned_and_young_and_removes_old_orphans(
        storage_from_settings(settings), monkeypatch
    )
    assert not any((settings.storage_path / "media").glob("deleted-*"))  # no empty folder left


def test_the_sweep_removes_old_orphans_and_keeps_owned_and_young_ones_on_s3(
    s3: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _sweep_keeps_owned_and_young_and_removes_old_orphans(storage_from_settings(s3), monkeypatch)


def test_the_clock_runs_the_orphan_sweep() -> None:
    from workers.clock.schedule import PERIODIC

    assert "workers.clock.orphans:sweep_orphans" in {path for _, path in PERIODIC}
    assert get_settings().orphan_grace_s == 24 * 3600  # the default grace: a day


def test_a_delete_aborts_an_open_direct_upload_and_its_complete_answers_404(
    s3: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from litestar.testing import TestClient

    from api.app import create_app
    from pipelines.storage import multipart

    part = 64 * 1024  # tiny parts: the moto server accepts them
    monkeypatch.setattr(multipart, "MIN_PART_SIZE", part)
    body = os.urandom(part + 10)
    with TestClient(create_app(s3), base_url="http://testserver.local") as api:
        accounts = Accounts(api)
        headers = accounts.auth(accounts.make("creator"))
        content_id = api.post("/api/v1/content", json={"title": "Sunday"}, headers=headers).json()[
            "id"
        ]
        started = api.post(
            f"/api/v1/content/{content_id}/uploads",
            json={"bytes": len(body), "filename": "sermon.m4a"},
            headers=headers,
        ).json()
        with httpx.Client(timeout=30) as http:
            for url in started["part_urls"]:
                n, size = url["part_number"], started["part_size"]
                sent = http.put(url["url"], content=body[(n - 1) * size : n * size])
                assert sent.status_code == 200
        storage = storage_from_settings(s3)
        assert len(multipart.pending_uploads(storage, f"sources/{content_id}/")) == 1

        assert api.delete(f"/api/v1/content/{content_id}", headers=headers).status_code == 204
        assert multipart.pending_uploads(storage, f"sources/{content_id}/") == []  # parts freed
        late = api.post(
            f"/api/v1/content/{content_id}/uploads/{started['upload_id']}/complete",
            headers=headers,
        )
    assert late.status_code == 404 and late.json()["code"] == "not_found", late.text
    assert storage.list_keys(f"sources/{content_id}/") == []
