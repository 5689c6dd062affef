"""A step's message is acknowledged only once its success is committed: on the real Redis broker
and PostgreSQL. (Dramatiq acknowledges after the middleware's `after_process_message`, which
records the success.)"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from typing import Any

import dramatiq
import psycopg
import pytest

from settings import get_settings
from tests.jobs.conftest import content_with_jobs, job_row, wait_until
from tests.jobs.faults import CALLS, use_waveform
from workers.orchestrator import send_job


@pytest.fixture(autouse=True)
def _fresh_counts() -> None:
    CALLS.clear()


def _content_waiting_for_its_waveform() -> tuple[str, str]:
    """An audio sermon whose probe is done and whose waveform step is queued (nothing after)."""
    content_id, ids = content_with_jobs(
        {
            "probe": {"status": "succeeded", "attempts": 1, "result": {"data": {"duration": 5.0}}},
            "waveform": {"status": "queued"},
        },
        email=f"acks-{secrets.token_hex(3)}@church.test",
    )
    return content_id, ids["waveform"]


def _in_redis(message_id: str, queue: str = "media") -> bool:
    """Whether Redis still holds the message (waiting or unacknowledged): an ack removes it."""
    broker = dramatiq.get_broker()
    stored = broker.client.hvals(f"{broker.namespace}:{queue}.msgs")
    return any(message_id.encode() in data for data in stored)


@pytest.fixture()
def content_lock() -> Iterator[Any]:
    """A connection of its own, to hold a content row locked as a concurrent transition would."""
    url = get_settings().sync_database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection:
        yield connection
        connection.rollback()


def test_a_message_is_acknowledged_only_once_its_success_is_committed(
    worker, monkeypatch, content_lock
) -> None:  # type: ignore[no-untyped-def]
    use_waveform(monkeypatch, "tests.jobs.faults:quick_waveform")
    content_id, job_id = _content_waiting_for_its_waveform()
    # The success's transaction locks the content first: holding that lock holds the commit back.
    content_lock.execute("SELECT 1 FROM content WHERE id = %s FOR UPDATE", (content_id,))

    message_id = send_job(job_id, "waveform")
    wait_until(lambda: CALLS["quick_waveform"] == 1, timeout=30, what="the step to run")
    time.sleep(0.5)  # time enough for an ack that did not wait
    assert job_row(content_id, "waveform").status == "running"
    assert _in_redis(message_id), "the message was acknowledged before its success committed"

    content_lock.rollback()
    wait_until(lambda: not _in_redis(message_id), timeout=30, what="the ack after the commit")
    job = job_row(content_id, "waveform")
    assert job.status == "succeeded" and job.attempts == 1 and job.finished_at is not None
    assert CALLS["quick_waveform"] == 1


def test_a_success_that_cannot_be_recorded_fails_the_job_with_its_reason_and_frees_the_message(
    worker, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    use_waveform(monkeypatch, "tests.jobs.faults:unstorable_waveform")
    content_id, job_id = _content_waiting_for_its_waveform()

    message_id = send_job(job_id, "waveform")
    wait_until(lambda: job_row(content_id, "waveform").status == "failed", timeout=30)
    wait_until(lambda: not _in_redis(message_id), timeout=30, what="the message to be acked")
    job = job_row(content_id, "waveform")
    assert job.error == (
        "the database refused it: unsupported Unicode escape sequence"
        " (\\u0000 cannot be converted to text.)"
    ), job.error  # the database's words, not its statement and parameters
    assert job.error_code == "internal_error"
    assert CALLS["unstorable_waveform"] == 1  # a permanent error: not run again


def test_a_stopping_worker_records_the_successes_it_holds_before_it_goes(
    clean_db: None, monkeypatch, content_lock
) -> None:  # type: ignore[no-untyped-def]
    import workers.actors  # noqa: F401  (declares the actors)

    use_waveform(monkeypatch, "tests.jobs.faults:quick_waveform")
    content_id, job_id = _content_waiting_for_its_waveform()
    content_lock.execute("SELECT 1 FROM content WHERE id = %s FOR UPDATE", (content_id,))
    broker = dramatiq.get_broker()
    broker.flush("media")
    running = dramatiq.Worker(broker, queues={"media"}, worker_threads=2, worker_timeout=100)
    running.start()
    message_id = send_job(job_id, "waveform")
    wait_until(lambda: CALLS["quick_waveform"] == 1, timeout=30, what="the step to run")

    stopping = threading.Thread(target=running.stop, kwargs={"timeout": 20_000})
    stopping.start()
    time.sleep(0.5)
    assert stopping.is_alive(), "the worker stopped with a success still waiting to commit"
    content_lock.rollback()
    stopping.join(timeout=30)
    assert not stopping.is_alive()
    assert job_row(content_id, "waveform").status == "succeeded"
    assert not _in_redis(message_id)


def test_a_worker_killed_before_its_success_commits_leaves_the_message_to_run_again(
    worker_processes, content_lock, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    import workers.actors  # noqa: F401  (sending needs the actors declared)

    marks = tmp_path / "marks"
    content_id, job_id = _content_waiting_for_its_waveform()
    content_lock.execute("SELECT 1 FROM content WHERE id = %s FOR UPDATE", (content_id,))
    first = worker_processes(["media"], modules=("tests.jobs.quick",), TEST_STEP_MARKS=str(marks))
    message_id = send_job(job_id, "waveform")
    wait_until(lambda: marks.exists(), timeout=60, what="the step to run")
    time.sleep(0.5)
    first.kill_hard()  # the step has run; its success waits on the lock, uncommitted
    content_lock.rollback()
    assert job_row(content_id, "waveform").status == "running"
    assert _in_redis(message_id), "the message was acknowledged before its success committed"

    worker_processes(["media"], modules=("tests.jobs.quick",), TEST_STEP_MARKS=str(marks))
    wait_until(
        lambda: job_row(content_id, "waveform").status == "succeeded",
        timeout=90,
        what="the message to come back and the step to run again",
    )
    assert job_row(content_id, "waveform").attempts == 2
    assert marks.read_text().splitlines() == [content_id, content_id]
    wait_until(lambda: not _in_redis(message_id), timeout=30, what="the ack")
