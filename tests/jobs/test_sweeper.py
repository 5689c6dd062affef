"""The sweeper: a job whose worker vanished does not stay running; a job whose message Redis
lost is sent again; a message superseded by a re-send is skipped."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import Content, Job, utcnow
from workers.db import session_scope


@pytest.fixture()
def broker_ready(clean_db: None):  # type: ignore[no-untyped-def]
    import dramatiq

    import workers.actors  # noqa: F401

    broker = dramatiq.get_broker()
    for queue in broker.get_declared_queues():
        broker.flush(queue)
    yield broker
    for queue in broker.get_declared_queues():
        broker.flush(queue)


def _job(owner_id: str, **fields: object) -> tuple[str, str]:
    with session_scope() as session:
        content = Content(
            owner_id=owner_id, kind="sermon", title="Lost", status="processing",
            visibility="private",
            generation=1, media_type="audio", source_key="sources/lost.m4a",
        )  # fmt: skip
        session.add(content)
        session.flush()
        values = {
            "step": "waveform",
            "queue": "media",
            "generation": 1,
            "max_attempts": 3,
            **fields,
        }
        job = Job(content_id=content.id, **values)
        session.add(job)
        session.flush()
        return content.id, job.id


def _get(job_id: str) -> Job:
    with session_scope() as session:
        job = session.get(Job, job_id)
        session.expunge(job)
        return job


def test_a_running_job_whose_heartbeat_lapsed_is_sent_again(accounts, broker_ready) -> None:  # type: ignore[no-untyped-def]
    from workers.clock.sweeper import recover_lost_jobs
    from workers.queues import pending_message_ids

    owner = accounts.make("creator")
    _, job_id = _job(
        owner["id"], status="running", attempts=1, worker="old-host:123", message_id="lost-message",
        heartbeat_at=utcnow() - timedelta(minutes=5),
    )  # fmt: skip
    report = recover_lost_jobs()
    job = _get(job_id)
    assert report.requeued == [job_id]
    assert (
        job.status == "queued" and job.error_code == "worker_lost" and "old-host:123" in job.error
    )
    assert job.message_id != "lost-message" and job.message_id in pending_message_ids()


def test_a_running_job_with_no_attempts_left_ends_dead_and_fails_its_content(
    accounts, broker_ready
) -> None:  # type: ignore[no-untyped-def]
    from workers.clock.sweeper import recover_lost_jobs

    owner = accounts.make("creator")
    content_id, job_id = _job(
        owner["id"], status="running", attempts=3, heartbeat_at=utcnow() - timedelta(minutes=5)
    )
    assert recover_lost_jobs().dead == [job_id]
    assert _get(job_id).status == "dead"
    with session_scope() as session:
        assert session.get(Content, content_id).status == "failed"


def test_a_live_heartbeat_is_left_alone(accounts, broker_ready) -> None:  # type: ignore[no-untyped-def]
    from workers.clock.sweeper import recover_lost_jobs

    owner = accounts.make("creator")
    _, job_id = _job(owner["id"], status="running", attempts=1, heartbeat_at=utcnow())
    report = recover_lost_jobs()
    assert job_id not in report.requeued and _get(job_id).status == "running"


def test_a_queued_job_whose_message_vanished_is_sent_again_once(accounts, broker_ready) -> None:  # type: ignore[no-untyped-def]
    from workers import jobs
    from workers.clock.sweeper import recover_lost_jobs
    from workers.orchestrator import send_job
    from workers.queues import pending_message_ids

    owner = accounts.make("creator")
    _, lost = _job(
        owner["id"],
        status="queued",
        message_id="never-sent",
        queued_at=utcnow() - timedelta(minutes=5),
    )
    _, waiting = _job(owner["id"], status="queued")
    send_job(waiting, "waveform")
    with session_scope() as session:  # long in the queue, but its message is there
        session.get(Job, waiting).queued_at = utcnow() - timedelta(minutes=5)

    report = recover_lost_jobs()
    assert report.resent == [lost]
    resent = _get(lost)
    assert resent.message_id in pending_message_ids()
    assert recover_lost_jobs().resent == []  # its message is in Redis now

    # Should the old message surface after all, it is stale: skipped, never run twice.
    with pytest.raises(jobs.JobGone):
        jobs.claim(lost, "never-sent")
    assert _get(lost).status == "queued" and _get(lost).attempts == 0


def test_a_processing_content_with_nothing_queued_gets_its_plan_advanced(
    accounts, broker_ready
) -> None:  # type: ignore[no-untyped-def]
    from workers.clock.sweeper import recover_lost_jobs

    owner = accounts.make("creator")
    with session_scope() as session:
        content = Content(
            owner_id=owner["id"], kind="sermon", title="Lost advance", status="processing",
            visibility="private", generation=1, source_key="sources/a.m4a",
        )  # fmt: skip
        session.add(content)
        session.flush()
        content_id = content.id
    with session_scope() as session:  # the upload's `advance` message was lost long ago
        session.get(Content, content_id).updated_at = utcnow() - timedelta(minutes=5)
    assert recover_lost_jobs().advanced == [content_id]
    with session_scope() as session:
        probe = session.query(Job).filter_by(content_id=content_id, step="probe").one()
        assert probe.status == "queued"
