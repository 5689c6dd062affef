"""Helpers for the job tests: content rows with real sources, workers as real processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DRAMATIQ = str(Path(sys.executable).with_name("dramatiq"))
# Worker processes' logs, kept for reading when a test fails.
LOGS = open(Path(tempfile.gettempdir()) / "cnt-test-workers.log", "ab")  # noqa: SIM115


def make_video(path: Path, seconds: float, size: str = "640x360") -> Path:
    """A real clip with sound; its encode takes a few seconds on two cores."""
    subprocess.run(
        [
            "ffmpeg", "-nostdin", "-y", "-loglevel", "error",
            "-f", "lavfi", "-i", f"testsrc2=s={size}:r=30:d={seconds}",
            "-f", "lavfi", "-i", f"sine=f=330:d={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="session")
def long_video(media_dir: Path, ffmpeg: str) -> Path:
    return make_video(media_dir / "sermon-video.mp4", 40.0)


def upload(client, headers: dict[str, str], source: Path, title: str = "Sunday service") -> str:  # type: ignore[no-untyped-def]
    content = client.post("/api/v1/content", json={"title": title}, headers=headers).json()
    with open(source, "rb") as body:
        sent = client.put(
            f"/api/v1/content/{content['id']}/source", content=body.read(), headers=headers
        )
    assert sent.status_code == 202, sent.text
    return str(content["id"])


MEDIA_QUEUE = {"queue": "media"}


def content_with_jobs(
    jobs: dict[str, dict[str, Any]], email: str = "jobs@church.test"
) -> tuple[str, dict[str, str]]:
    """An audio sermon mid-processing whose job rows are `jobs` (step: the row's fields, on the
    `media` queue unless they say otherwise): its id, and each step's job id."""
    from models import Content, Job, User
    from workers.db import session_scope

    with session_scope() as session:
        owner = User(email=email, password_hash="x", role="creator")
        session.add(owner)
        session.flush()
        content = Content(
            owner_id=owner.id, kind="sermon", title="Sunday service", status="processing",
            visibility="private", generation=1, media_type="audio",
        )  # fmt: skip
        session.add(content)
        session.flush()
        rows = {
            step: Job(content_id=content.id, step=step, generation=1, **(MEDIA_QUEUE | fields))
            for step, fields in jobs.items()
        }
        session.add_all(rows.values())
        session.flush()
        return content.id, {step: row.id for step, row in rows.items()}


def job_row(content_id: str, step: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from models import Job
    from workers.db import session_scope
    from workers.jobs import durably

    def read():  # type: ignore[no-untyped-def]
        with session_scope() as session:
            job = session.scalars(
                select(Job)
                .where(Job.content_id == content_id, Job.step == step)
                .order_by(Job.generation.desc())
            ).first()
            if job is not None:
                session.expunge(job)
            return job

    # The test process shares the workers' pool, which keeps no pre-ping: after a test restarts
    # PostgreSQL, its first read may meet a connection the restart closed.
    return durably(read)


def wait_until(
    check: Callable[[], object], timeout: float = 90, every: float = 0.2, what: str = ""
) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what or check}")


class WorkerProcess:
    """`dramatiq workers.actors` as the Procfile runs it: a master and one worker process."""

    def __init__(
        self, queues: list[str], env: dict[str, str], modules: tuple[str, ...] = ()
    ) -> None:
        self.process = subprocess.Popen(
            [
                DRAMATIQ,
                "workers.actors",
                *modules,
                "--path",
                str(ROOT),
                "--processes",
                "1",
                "--threads",
                "1",
                "--queues",
                *queues,
            ],
            cwd=ROOT,
            env=env,
            stdout=LOGS,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in out.split()]

    def kill_hard(self) -> None:
        """SIGKILL the worker process (the one running the step), then its master."""
        for pid in self.worker_pids():
            os.kill(pid, signal.SIGKILL)
        self.stop(signal.SIGKILL)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)


@pytest.fixture()
def worker_processes(clean_db: None) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real worker processes with this run's environment; all stopped after the test."""
    started: list[WorkerProcess] = []

    def start(queues: list[str], *, modules: tuple[str, ...] = (), **env: str) -> WorkerProcess:
        environ = {**os.environ, "dramatiq_queue_prefetch": "1", **env}
        worker = WorkerProcess(queues, environ, modules)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
            worker.stop(signal.SIGKILL)


@pytest.fixture()
def media_worker(clean_db: None) -> Iterator[object]:
    """An in-process worker for every queue but transcode (encodes run in worker processes)."""
    import dramatiq

    import workers.actors  # noqa: F401

    broker = dramatiq.get_broker()
    for queue in broker.get_declared_queues():
        broker.flush(queue)
    running = dramatiq.Worker(
        broker, queues={"media", "io", "default"}, worker_threads=4, worker_timeout=100
    )
    running.start()
    try:
        yield running
    finally:
        running.stop(timeout=10_000)
        for queue in broker.get_declared_queues():
            broker.flush(queue)
