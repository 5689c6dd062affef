"""Retries that know the difference, and an admin's retry, cancel and reprocess, end to end on
the real broker, database and ffmpeg."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Asset
from pipelines.plans import STEPS
from tests.conftest import wait_for_status
from tests.jobs.conftest import job_row, upload, wait_until
from tests.jobs.faults import CALLS, use_waveform
from workers.db import session_scope


@pytest.fixture(autouse=True)
def _fresh_counts() -> None:
    CALLS.clear()


def _assets_per_key(content_id: str, step_prefix: str) -> list[int]:
    with session_scope() as session:
        rows = session.execute(
            select(Asset.key, func.count())
            .where(Asset.content_id == content_id, Asset.key.contains(step_prefix))
            .group_by(Asset.key)
        ).all()
    return [count for _, count in rows]


def test_a_flaky_step_fails_twice_then_succeeds_with_one_set_of_outputs(
    client, accounts, worker, tone_m4a: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    use_waveform(monkeypatch, "tests.jobs.faults:flaky_waveform")
    headers = accounts.auth(accounts.make("creator"))
    content_id = upload(client, headers, tone_m4a)
    assert wait_for_status(client, content_id, headers, {"ready", "failed"})["status"] == "ready"

    waveform = job_row(content_id, "waveform")
    assert waveform.status == "succeeded" and waveform.attempts == 3 and waveform.error is None
    assert CALLS["flaky_waveform"] == 3 and CALLS["flaky_waveform_ran"] == 1
    counts = _assets_per_key(content_id, "waveform")
    assert counts and all(count == 1 for count in counts)


def test_a_permanent_failure_fails_at_once_with_its_reason(
    client, accounts, worker, tone_m4a, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    use_waveform(monkeypatch, "tests.jobs.faults:corrupt_waveform")
    headers = accounts.auth(accounts.make("creator"))
    content_id = upload(client, headers, tone_m4a)
    failed = wait_for_status(client, content_id, headers, {"ready", "failed"})
    assert failed["status"] == "failed" and failed["error"].startswith(
        "waveform: the audio stream is corrupt"
    )
    waveform = job_row(content_id, "waveform")
    assert (
        waveform.status == "failed"
        and waveform.attempts == 1
        and waveform.error_code == "media_rejected"
    )
    assert CALLS["corrupt_waveform"] == 1


def test_retrying_a_dead_job_resumes_the_plan(
    client, accounts, worker, tone_m4a, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    real = STEPS["waveform"].function
    use_waveform(monkeypatch, "tests.jobs.faults:throttled_waveform")
    creator = accounts.make("creator")
    admin = accounts.auth(accounts.make("admin"))
    headers = accounts.auth(creator)
    content_id = upload(client, headers, tone_m4a)
    assert wait_for_status(client, content_id, headers, {"ready", "failed"})["status"] == "failed"
    dead = job_row(content_id, "waveform")
    assert dead.status == "dead" and dead.attempts == 3 and "SlowDown" in dead.error
    assert job_row(content_id, "publish") is None  # nothing after a dead step ran

    use_waveform(monkeypatch, real)  # the storage came back
    retried = client.post(f"/api/v1/admin/jobs/{dead.id}/retry", headers=admin)
    assert retried.status_code == 202, retried.text
    assert retried.json()["status"] == "queued" and retried.json()["attempts"] == 0
    wait_for_status(client, content_id, headers, {"ready"})
    # `ready` comes with publish; invalidate_cdn runs after it: wait for the plan to settle.
    wait_until(
        lambda: (
            (row := job_row(content_id, "invalidate_cdn"))
            and row.status not in ("queued", "running")
        ),
        what="invalidate_cdn to finish",
    )
    ready = client.get(f"/api/v1/content/{content_id}", headers=headers).json()
    steps = {job["step"]: job["status"] for job in ready["jobs"]}
    assert steps["waveform"] == steps["publish"] == steps["invalidate_cdn"] == "succeeded"
    assert job_row(content_id, "waveform").attempts == 1


def test_retry_all_failed_retries_only_failed_and_dead_jobs(
    client, accounts, worker, tone_m4a, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    use_waveform(monkeypatch, "tests.jobs.faults:corrupt_waveform")
    headers = accounts.auth(accounts.make("creator"))
    admin = accounts.auth(accounts.make("admin"))
    content_id = upload(client, headers, tone_m4a)
    wait_for_status(client, content_id, headers, {"failed"})
    use_waveform(monkeypatch, "pipelines.media.waveform:waveform_step")
    retried = client.post(
        "/api/v1/admin/jobs/retry", json={"step": "waveform"}, headers=admin
    ).json()
    assert retried["retried"] == [job_row(content_id, "waveform").id]
    assert wait_for_status(client, content_id, headers, {"ready"})["status"] == "ready"


def test_cancel_stops_a_running_encode_within_seconds_and_retry_finishes_it(
    client, accounts, media_worker, worker_processes, long_video: Path
) -> None:  # type: ignore[no-untyped-def]
    headers = accounts.auth(accounts.make("creator"))
    admin = accounts.auth(accounts.make("admin"))
    worker_processes(["transcode"], X264_PRESET="medium")
    content_id = upload(client, headers, long_video)
    running = wait_until(
        lambda: (
            (j := job_row(content_id, "encode_video"))
            and j.status == "running"
            and j.progress > 0.02
            and j
        ),
        what="the encode to run",
    )
    cancelled = client.post(f"/api/v1/admin/jobs/{running.id}/cancel", headers=admin)
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"
    # The worker's heartbeat (every second) sees it and kills ffmpeg's process group.
    wait_until(
        lambda: subprocess.run(["pgrep", "-f", running.id], capture_output=True).returncode != 0,
        timeout=10,
        what="ffmpeg to stop",
    )
    failed = wait_for_status(client, content_id, headers, {"failed"})
    assert "cancelled by an admin" in failed["error"]
    job = job_row(content_id, "encode_video")
    assert job.status == "cancelled" and job.progress < 1

    again = client.post(f"/api/v1/admin/jobs/{running.id}/retry", headers=admin)
    assert again.status_code == 202
    assert wait_for_status(client, content_id, headers, {"ready"}, timeout=150)["status"] == "ready"


def test_reprocess_makes_a_new_generation_and_serves_the_old_one_meanwhile(
    client, accounts, worker, tone_m4a
) -> None:  # type: ignore[no-untyped-def]
    headers = accounts.auth(accounts.make("creator"))
    content_id = upload(client, headers, tone_m4a)
    wait_for_status(client, content_id, headers, {"ready"})
    answer = client.post(f"/api/v1/content/{content_id}/reprocess", headers=headers)
    assert answer.status_code == 202 and answer.json()["generation"] == 2
    ready = wait_for_status(client, content_id, headers, {"ready"})
    assert ready["generation"] == 2
    assert job_row(content_id, "publish").generation == 2
