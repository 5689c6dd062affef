"""The ledger (group commit) against the real PostgreSQL: a round of claims settles each as the
per-job path would, and what the round cannot settle goes back to that path."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from pipelines.context import StepResult
from workers import jobs
from workers.execute import _load
from workers.ledger import Ledger


def _jobs(specs: dict[str, dict[str, Any]]) -> tuple[str, dict[str, str]]:
    from models import Content, Job, Series, User
    from workers.db import session_scope

    with session_scope() as session:
        owner = User(email="ledger@church.test", password_hash="x", role="creator")
        session.add(owner)
        session.flush()
        series = Series(owner_id=owner.id, title="Psalms of Ascent")
        session.add(series)
        session.flush()
        content = Content(
            owner_id=owner.id, kind="sermon", title="Lift up your eyes", speaker="Ann",
            status="processing", visibility="private", generation=1, media_type="audio",
            series_id=series.id, source_key="sources/x/a.m4a",
        )  # fmt: skip
        session.add(content)
        session.flush()
        probe = Job(
            content_id=content.id, step="probe", generation=1, queue="media",
            status="succeeded", attempts=1, result={"data": {"duration": 61.0}},
        )  # fmt: skip
        session.add(probe)
        rows = {
            step: Job(content_id=content.id, step=step, generation=1, queue="media", **fields)
            for step, fields in specs.items()
        }
        session.add_all(rows.values())
        session.flush()
        return content.id, {step: row.id for step, row in rows.items()}


def _claim_together(ledger: Ledger, wanted: list[tuple[str, str]]) -> list[Any]:
    """Each claim from its own thread, all at once, as a worker's threads make them."""
    answers: list[Any] = [None] * len(wanted)
    start = threading.Barrier(len(wanted))

    def claim(i: int, job_id: str, message_id: str) -> None:
        start.wait()
        try:
            answers[i] = ledger.claim(job_id, message_id)
        except jobs.JobGone as exc:
            answers[i] = exc

    threads = [threading.Thread(target=claim, args=(i, *pair)) for i, pair in enumerate(wanted)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def test_a_round_of_claims_settles_each_as_alone(clean_db: None) -> None:
    from tests.jobs.conftest import job_row

    content_id, ids = _jobs(
        {
            "encode_audio": {"status": "queued", "message_id": "m-encode"},
            "waveform": {"status": "running", "attempts": 3, "max_attempts": 3},
            "transcribe": {"status": "queued", "message_id": "m-current"},
        }
    )
    answers = _claim_together(
        Ledger(),
        [
            (ids["encode_audio"], "m-encode"),
            (ids["waveform"], "m-lost"),  # killed its worker three times
            (ids["transcribe"], "m-stale"),  # not the job's current message
        ],
    )
    encode, waveform, transcribe = answers

    assert isinstance(encode, jobs.Claim) and encode.attempt == 1
    # The round read the step's inputs as the per-job path reads them.
    assert encode.inputs == _load(ids["encode_audio"])
    assert encode.inputs.metadata.series == "Psalms of Ascent"
    assert encode.inputs.previous["probe"] == StepResult(data={"duration": 61.0})
    assert job_row(content_id, "encode_audio").status == "running"

    assert isinstance(waveform, jobs.JobGone)
    dead = job_row(content_id, "waveform")
    assert dead.status == "dead" and dead.error_code == "worker_lost"

    assert isinstance(transcribe, jobs.JobGone)
    untouched = job_row(content_id, "transcribe")
    assert untouched.status == "queued" and untouched.attempts == 0


def test_a_failed_round_sends_each_request_back_to_its_own_path(
    clean_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.jobs.conftest import job_row
    from workers import ledger as ledger_module

    content_id, ids = _jobs({"encode_audio": {"status": "queued", "message_id": "m-encode"}})

    def broken_round(*_: Any) -> Any:
        raise RuntimeError("the round's statement failed")

    monkeypatch.setattr(ledger_module, "_claim_many", broken_round)
    monkeypatch.setattr(ledger_module, "_succeed_many", broken_round)
    ledger = Ledger()
    claim = ledger.claim(ids["encode_audio"], "m-encode")
    assert claim.inputs is None  # claimed alone: the step loads its inputs itself
    outcome = ledger.record_success(claim, "encode_audio", 1, StepResult())
    assert outcome is not None and outcome.content_id == content_id
    assert job_row(content_id, "encode_audio").status == "succeeded"


class _TimeLimit(BaseException):
    """As Dramatiq's time limit: raised inside whatever the thread is doing, not an Exception."""


def test_threads_share_rounds_and_each_gets_its_own_answer() -> None:
    from workers.ledger import _Lane

    rounds: list[int] = []

    def write(batch: list[int]) -> tuple[list[int], list[Any]]:
        rounds.append(len(batch))
        threading.Event().wait(0.001)  # a round trip, during which others queue up
        return [n * 2 for n in batch], []

    lane = _Lane(write)
    answers: dict[int, int] = {}

    def submit_many(first: int) -> None:
        for n in range(first, first + 100):
            answers[n] = lane.submit(n)

    threads = [threading.Thread(target=submit_many, args=(i * 1000,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert answers == {n: n * 2 for n in answers} and len(answers) == 800
    assert sum(rounds) == 800 and max(rounds) > 1  # requests were written together


def test_a_round_cut_short_in_its_thread_leaves_no_request_waiting() -> None:
    from workers.ledger import _Lane

    in_round, release = threading.Event(), threading.Event()
    calls = 0

    def write(batch: list[str]) -> tuple[list[str], list[Any]]:
        nonlocal calls
        calls += 1
        if calls == 1:
            in_round.set()
            release.wait(10)
            raise _TimeLimit()
        return [f"written {arg}" for arg in batch], []

    lane = _Lane(write)
    results: dict[str, Any] = {}

    def submit(arg: str) -> None:
        try:
            results[arg] = lane.submit(arg)
        except _TimeLimit:
            results[arg] = "time limit"

    leader = threading.Thread(target=submit, args=("first",))
    leader.start()
    assert in_round.wait(10)
    followers = [threading.Thread(target=submit, args=(f"next {i}",)) for i in range(3)]
    for thread in followers:
        thread.start()
    threading.Event().wait(0.05)  # the followers wait for the round the leader is writing
    release.set()
    for thread in (leader, *followers):
        thread.join(timeout=10)
        assert not thread.is_alive()
    assert results["first"] == "time limit"
    # The followers' round was written by one of them, after the cut-short one.
    assert all(results[f"next {i}"] == f"written next {i}" for i in range(3))
    assert lane.submit("later") == "written later"


def test_a_round_stores_a_steps_rows_with_its_success(
    clean_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outputs (assets, loudness) commit in the round's one transaction, not by falling back
    to the per-job path."""
    from sqlalchemy import select

    from workers import ledger as ledger_module

    def no_fallback(*_: Any) -> Any:
        raise AssertionError("the round failed and the per-job path stored the step")

    monkeypatch.setattr(ledger_module, "record_success", no_fallback)

    from models import Asset, Content
    from pipelines.context import AssetOut
    from tests.jobs.conftest import job_row
    from workers.db import session_scope

    content_id, ids = _jobs({"encode_audio": {"status": "queued", "message_id": "m-encode"}})
    ledger = Ledger()
    claim = ledger.claim(ids["encode_audio"], "m-encode")
    result = StepResult(
        assets=[AssetOut(kind="audio_mp3", key="audio/audio.mp3", mime_type="audio/mpeg")],
        data={"loudness": {"integrated": -16.0}},
    )
    outcome = ledger.record_success(claim, "encode_audio", 1, result)

    assert outcome is not None and outcome.content_id == content_id
    assert job_row(content_id, "encode_audio").status == "succeeded"
    with session_scope() as session:
        keys = session.scalars(select(Asset.key).where(Asset.content_id == content_id)).all()
        loudness = session.get(Content, content_id).loudness  # type: ignore[union-attr]
    assert len(keys) == 1 and keys[0].endswith("/g1/audio/audio.mp3"), keys
    assert loudness == {"integrated": -16.0}
