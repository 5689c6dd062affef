"""A step's success is written by one piece of code on both databases the platform runs on: the
same success on PostgreSQL and on SQLite (the embedded setup) leaves identical rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import select

import workers.db
from models import Asset, Content, Job, User
from models.migrate import upgrade
from pipelines.context import AssetOut, StepResult
from settings import get_settings
from workers import jobs
from workers.outputs import record_success

# Columns whose values are the moment they were written; a planned job's id and message id are
# new random ids on each database, so those are compared as "set or not".
MOMENTS = {"created_at", "updated_at", "started_at", "finished_at", "queued_at", "heartbeat_at"}


@contextmanager
def _workers_on(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The workers' engine pointed at `database_url` for the block."""
    settings = msgspec.structs.replace(get_settings(), database_url=database_url)
    workers.db.reset()
    monkeypatch.setattr(workers.db, "get_settings", lambda: settings)
    try:
        yield
    finally:
        workers.db.reset()
        monkeypatch.undo()


def _probe_running() -> jobs.Claim:
    """An audio sermon whose probe is running, with fixed ids: the same on both databases."""
    with workers.db.session_scope() as session:
        session.add(User(id="u-rows", email="rows@church.test", password_hash="x", role="creator"))
        session.flush()
        session.add(
            Content(
                id="c-rows",
                owner_id="u-rows",
                kind="sermon",
                title="Grace",
                status="processing",
                visibility="public",
                generation=1,
                recorded_date=date(2026, 11, 29),
            )  # fmt: skip
        )
        session.flush()
        session.add(
            Job(
                id="j-probe",
                content_id="c-rows",
                step="probe",
                generation=1,
                queue="media",
                status="running",
                attempts=1,
                max_attempts=3,
                message_id="m-probe",
            )  # fmt: skip
        )
    return jobs.Claim("j-probe", "c-rows", "probe", 1, 3)


PROBE_RESULT = StepResult(
    assets=[AssetOut(kind="probe", key="probe.json", bytes=321)],
    data={"probe": {"format": "mov,mp4,m4a"}, "media_type": "audio", "duration": 61.5},
    media_seconds=61.5,
    cpu_seconds=0.25,
)


def _rows() -> dict[str, list[dict[str, Any]]]:
    """Every row the success touched, each column's value, moments as whether they are set."""
    tables = {"content": Content, "jobs": Job, "assets": Asset}
    read: dict[str, list[dict[str, Any]]] = {}
    with workers.db.session_scope() as session:
        for name, model in tables.items():
            rows = []
            for row in session.scalars(select(model).order_by(model.__table__.c[_key(model)])):
                values = {}
                for column in model.__table__.columns:
                    value = getattr(row, column.key)
                    made = name == "jobs" and column.key in ("id", "message_id")
                    if column.key in MOMENTS or made:
                        value = value is not None
                    elif name == "assets" and column.key == "id":
                        value = "made"
                    values[column.key] = value
                rows.append(values)
            read[name] = rows
    return read


def _differences(
    left: dict[str, list[dict[str, Any]]], right: dict[str, list[dict[str, Any]]]
) -> list[tuple[str, int, str, Any, Any]]:
    """(table, row, column, PostgreSQL's value, SQLite's value) for each value that differs."""
    found = []
    for table in sorted(left.keys() | right.keys()):
        rows_left, rows_right = left.get(table, []), right.get(table, [])
        if len(rows_left) != len(rows_right):
            found.append((table, -1, "row count", len(rows_left), len(rows_right)))
            continue
        for n, (a, b) in enumerate(zip(rows_left, rows_right, strict=True)):
            for column in sorted(a.keys() | b.keys()):
                if a.get(column) != b.get(column):
                    found.append((table, n, column, a.get(column), b.get(column)))
    return found


def _key(model: Any) -> str:
    return "step" if model is Job else ("key" if model is Asset else "id")


def _success_on(database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    with _workers_on(database_url, monkeypatch):
        claim = _probe_running()
        outcome = record_success(claim, "probe", 1, PROBE_RESULT)
        assert outcome is not None
        return {"rows": _rows(), "planned": sorted(m.actor_name for m in outcome.messages)}


def test_a_success_leaves_identical_rows_on_postgresql_and_sqlite(
    clean_db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_file = tmp_path / "embedded.db"
    upgrade(f"sqlite:///{sqlite_file}")

    on_postgresql = _success_on(get_settings().database_url, monkeypatch)
    on_sqlite = _success_on(f"sqlite+aiosqlite:///{sqlite_file}", monkeypatch)

    assert _differences(on_postgresql["rows"], on_sqlite["rows"]) == []
    assert on_postgresql["planned"] == on_sqlite["planned"]
    # And the success is a success: the probe's facts on the content, the plan moved on.
    content = on_sqlite["rows"]["content"][0]
    assert (content["media_type"], content["duration"]) == ("audio", 61.5)
    probe = next(job for job in on_sqlite["rows"]["jobs"] if job["step"] == "probe")
    assert (probe["status"], probe["progress"], probe["cpu_seconds"]) == ("succeeded", 1.0, 0.25)
    assert on_sqlite["planned"] == ["encode_audio", "transcribe", "waveform"]
    assert [a["mime_type"] for a in on_sqlite["rows"]["assets"]] == ["application/json"]
