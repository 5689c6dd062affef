"""Crash safety with real worker processes: a SIGKILL mid-encode loses nothing and runs nothing
twice to a different result; a file that kills its worker every time ends dead; two processes
encode at once, and one started later takes work from the same queue."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from sqlalchemy import func, select

from models import Asset, Content, Job
from settings import get_settings
from tests.conftest import wait_for_status
from tests.jobs.conftest import job_row, upload, wait_until
from workers.db import session_scope
from workers.pubsub import backlog_since, content_channel

# A slower preset makes a 40-second clip take several seconds to encode: time to kill it mid-way.
SLOW = {"X264_PRESET": "medium"}


def _running_with_progress(content_id: str, step: str = "encode_video"):  # type: ignore[no-untyped-def]
    job = job_row(content_id, step)
    return job if job is not None and job.status == "running" and job.progress > 0.02 else None


def _ffmpeg_running_for(job_id: str) -> bool:
    return subprocess.run(["pgrep", "-f", job_id], capture_output=True).returncode == 0


def test_worker_killed_mid_encode_is_redelivered_and_a_new_worker_finishes_it(
    client, accounts, media_worker, worker_processes, long_video: Path
) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    headers = accounts.auth(creator)
    first = worker_processes(["transcode"], **SLOW)
    content_id = upload(client, headers, long_video)

    running = wait_until(lambda: _running_with_progress(content_id), what="the encode to start")
    first.kill_hard()
    killed_at = time.time()

    worker_processes(["transcode"], **SLOW)
    # The killed attempt's ffmpeg (in its own session) dies with its worker; the attempt that
    # takes over on this machine would stop one that had not.
    wait_until(
        lambda: not _ffmpeg_running_for(f"{running.id}/a1"), timeout=60, what="the orphan to stop"
    )
    ready = wait_for_status(client, content_id, headers, {"ready", "failed"}, timeout=150)
    assert ready["status"] == "ready", ready

    encode = job_row(content_id, "encode_video")
    assert encode.status == "succeeded" and encode.attempts == 2
    assert encode.worker != running.worker
    # Redelivered by the broker (heartbeat timeout + maintenance), far inside the 90 s promise.
    assert encode.started_at.timestamp() - killed_at < 90
    with session_scope() as session:
        per_key = session.execute(
            select(Asset.key, func.count())
            .where(Asset.content_id == content_id)
            .group_by(Asset.key)
        ).all()
    assert per_key and all(count == 1 for _, count in per_key)
    master = next(key for key, _ in per_key if key.endswith("master.m3u8"))
    storage_root = get_settings().storage_path
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(storage_root / master)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert abs(float(probe.stdout) - 40.0) < 1.5
    became_ready = [
        e
        for e in backlog_since(content_channel(content_id), 0)
        if e["type"] == "content" and e["status"] == "ready"
    ]
    assert len(became_ready) == 1


def _content_status(content_id: str) -> str:
    with session_scope() as session:
        content = session.get(Content, content_id)
        assert content is not None
        return content.status


def test_a_file_that_kills_its_worker_every_time_ends_dead(
    worker_processes, accounts, tone_m4a
) -> None:  # type: ignore[no-untyped-def]
    import shutil

    import workers.actors  # noqa: F401
    from workers.orchestrator import send_job

    owner = accounts.make("creator")
    source = get_settings().storage_path / "sources" / "poison.m4a"
    source.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(tone_m4a, source)
    with session_scope() as session:
        content = Content(
            owner_id=owner["id"], kind="sermon", title="Poison", status="processing",
            visibility="private", generation=1, media_type="audio", source_key="sources/poison.m4a",
        )  # fmt: skip
        session.add(content)
        session.flush()
        job = Job(
            content_id=content.id,
            step="waveform",
            generation=1,
            queue="media",
            status="queued",
            max_attempts=3,
        )
        session.add(job)
        session.flush()
        content_id, job_id = content.id, job.id
    send_job(job_id, "waveform")

    workers_started = 0
    while job_row(content_id, "waveform").status in ("queued", "running"):
        assert workers_started < 6, "the crash loop did not end"
        crashing = worker_processes(["media"], modules=("tests.jobs.crashing",))
        workers_started += 1
        # The end: the claim that finds no attempts left marks the job dead, then the same
        # worker moves the content on; stopping it between the two would leave the content to
        # the sweeper.
        wait_until(
            lambda w=crashing: (  # type: ignore[misc]
                w.process.poll() is not None or _content_status(content_id) != "processing"
            ),
            timeout=60,
            what="the worker to die or the content to fail",
        )
        crashing.stop()

    dead = job_row(content_id, "waveform")
    assert dead.attempts == 3 and dead.error_code == "worker_lost"
    assert "lost 3 times" in dead.error
    with session_scope() as session:
        assert session.get(Content, content_id).status == "failed"


def test_two_worker_processes_encode_at_once_and_a_later_one_takes_work(
    client, accounts, media_worker, worker_processes, long_video: Path
) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    headers = accounts.auth(creator)
    worker_processes(["transcode"], **SLOW)
    first = upload(client, headers, long_video, "Morning service")
    second = upload(client, headers, long_video, "Evening service")
    # One process holds one encode: with prefetch 1 the other message waits in Redis.
    wait_until(
        lambda: _running_with_progress(first) or _running_with_progress(second), what="one encode"
    )
    worker_processes(["transcode"], **SLOW)  # started later, on the same queue

    for content_id in (first, second):
        assert (
            wait_for_status(client, content_id, headers, {"ready", "failed"}, timeout=150)["status"]
            == "ready"
        )
    a, b = job_row(first, "encode_video"), job_row(second, "encode_video")
    assert a.worker != b.worker
    assert a.started_at < b.finished_at and b.started_at < a.finished_at  # the encodes overlapped
