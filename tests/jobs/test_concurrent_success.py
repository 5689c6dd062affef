"""Two steps of one content succeeding at the same moment: whichever writes second sees both
done and plans what waits for them. Against the real PostgreSQL, with the second writer held
on the content's lock while the first commits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from pipelines.context import StepResult
from tests.jobs.conftest import content_with_jobs
from workers import jobs
from workers.db import transaction
from workers.orchestrator import Outcome, advance_locked, lock_content
from workers.outputs import record_success


def _content_with_two_running_steps() -> tuple[str, jobs.Claim, jobs.Claim]:
    running = {"attempts": 1, "max_attempts": 3}
    content_id, ids = content_with_jobs(
        {
            "probe": {"status": "succeeded", **running},
            "transcribe": {"status": "queued", **running},
            "encode_audio": {"status": "running", **running},
            "waveform": {"status": "running", **running},
        },
        email="race@church.test",
    )
    encode, waveform = (
        jobs.Claim(ids[step], content_id, step, 1, 3) for step in ("encode_audio", "waveform")
    )
    return content_id, encode, waveform


def _wait_for_a_lock_wait(database_url: str) -> None:
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    deadline = time.monotonic() + 10
    with psycopg.connect(url, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            ).fetchone()
            if waiting and waiting[0]:
                return
            time.sleep(0.01)
    raise AssertionError("the second writer never waited for the content's lock")


def _per_job(claim: jobs.Claim) -> Outcome | None:
    return record_success(claim, claim.step, 1, StepResult())


@pytest.mark.parametrize("second_writer", [_per_job])
def test_the_second_of_two_concurrent_successes_plans_what_waits_for_both(
    clean_db: None, second_writer: Callable[[jobs.Claim], Outcome | None]
) -> None:
    import workers.actors  # noqa: F401  (planning names each new job's message)
    from settings import get_settings

    content_id, encode, waveform = _content_with_two_running_steps()
    second: list[Any] = []
    with transaction() as first:
        state = lock_content(first, content_id)
        assert state is not None
        assert jobs.succeed(first, encode, {}, 0.0, 0.0) is not None
        writer = threading.Thread(target=lambda: second.append(second_writer(waveform)))
        writer.start()
        _wait_for_a_lock_wait(get_settings().sync_database_url)
        # The first writer still sees waveform running: publish is not its to plan.
        assert advance_locked(first, content_id, state.with_finished("encode_audio")).messages == ()
    writer.join(timeout=10)

    outcome = second[0]
    assert outcome is not None
    assert [m.actor_name for m in outcome.messages] == ["publish"]
    with transaction() as check:
        state = lock_content(check, content_id)
    assert state is not None
    assert {job.step: job.status for job in state.jobs} == {
        "probe": "succeeded",
        "transcribe": "queued",
        "encode_audio": "succeeded",
        "waveform": "succeeded",
        "publish": "queued",
    }
