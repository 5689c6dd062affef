"""A step's success is recorded behind its worker thread, and its message is acknowledged only
once that success is committed: on the real Redis broker and PostgreSQL."""

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
from workers import acks
from workers.ledger import _BehindLane
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
    # The success's round locks the content first: holding that lock holds the commit back.
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


def test_held_acks_go_once_released_and_released_together_go_at_the_end() -> None:
    broker = dramatiq.get_broker()
    queue = f"held-{secrets.token_hex(3)}"
    broker.declare_queue(queue)
    try:
        for n in range(3):
            broker.enqueue(dramatiq.Message(queue, "held_probe", (n,), {}, {}))
        consumer = broker.consume(queue, prefetch=3, timeout=100)
        first, second, third = (next(consumer) for _ in range(3))

        early = acks.hold(first.message_id)
        early.release()  # the commit came before the thread asked for the ack
        consumer.ack(first)
        assert not _in_redis(first.message_id, queue)

        held = [acks.hold(m.message_id) for m in (second, third)]
        for message in (second, third):
            consumer.ack(message)
        assert _in_redis(second.message_id, queue) and _in_redis(third.message_id, queue)
        with acks.together():
            for hold in held:
                hold.release()
            assert _in_redis(second.message_id, queue), "sent before the batch's end"
        assert not _in_redis(second.message_id, queue)
        assert not _in_redis(third.message_id, queue)
        assert broker.do_qsize(queue) == 0  # nothing left waiting or unacknowledged
    finally:
        broker.flush(queue)


def test_a_behind_lane_answers_after_the_caller_has_gone_on() -> None:
    written = threading.Event()
    go = threading.Event()
    rounds: list[list[int]] = []

    def write(args: list[int]) -> tuple[list[int], list[Any]]:
        go.wait(10)
        rounds.append(list(args))
        written.set()
        return [n * 10 for n in args], []

    lane = _BehindLane(write, "test-lane")
    answers: dict[int, int] = {}
    for n in (1, 2, 3):
        lane.hand_in(n, lambda answer, n=n: answers.__setitem__(n, answer))
    assert not written.is_set() and answers == {}  # nobody waited for the round
    assert lane.flush(0.2) is False
    go.set()
    assert lane.flush(10) is True
    assert answers == {1: 10, 2: 20, 3: 30}
    assert sorted(n for round_ in rounds for n in round_) == [1, 2, 3]
    assert lane.submit(4) == 40  # a caller with nothing else to do may still wait


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
