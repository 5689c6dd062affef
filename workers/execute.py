"""Running one step: load its job and content, fetch its source, call the pipeline."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import threading
import time
from contextlib import AbstractContextManager
from pathlib import Path

from pipelines.context import StepContext
from pipelines.plans import STEPS, step_function
from pipelines.storage import Storage
from settings import get_settings
from workers import attempts, jobs
from workers.added_tracks import track_recording_key
from workers.clients import shared_s3, shared_storage
from workers.db import autocommit
from workers.editing import step_source_key
from workers.gone_content import remove_if_gone
from workers.inputs import LOAD, StepInputs, inputs_from_rows
from workers.outputs import generation_prefix
from workers.source_cache import local_source

log = logging.getLogger(__name__)


# How long a provider's presigned URL of the source stays good.
SOURCE_URL_TTL_S = 3600


class Heartbeat:
    """Renews the attempt's lease every second, carrying its progress; sees cancels and take-overs.

    The pipeline's progress callback only stores a number: the database is written from the
    process's one beating thread, so a slow or restarting database never stalls or breaks an
    encode, and a short step costs no thread of its own.
    """

    def __init__(self, claim: jobs.Claim, cancel: threading.Event, interval: float = 1.0) -> None:
        self.claim = claim
        self.cancel = cancel
        self.interval = interval
        self.progress: float | None = None
        self.due = 0.0
        self._published = -1.0

    def report(self, fraction: float) -> None:
        self.progress = max(0.0, min(1.0, fraction))

    def tick(self) -> None:
        progress = self.progress
        if not jobs.beat(self.claim.job_id, self.claim.attempt, progress):
            self.cancel.set()  # cancelled by an admin, or another attempt holds the job now
            return
        # One event per percent is plenty for a progress bar.
        if progress is not None and progress - self._published >= 0.01:
            self._published = progress
            jobs.announce(
                self.claim.content_id,
                {
                    "type": "job",
                    "job_id": self.claim.job_id,
                    "step": self.claim.step,
                    "status": "running",
                    "progress": round(progress, 4),
                    "attempts": self.claim.attempt,
                    "error": None,
                    **({"chunk": self.claim.chunk} if self.claim.chunk else {}),
                    **({"track": self.claim.track} if self.claim.track else {}),
                },
            )

    def __enter__(self) -> Heartbeat:
        _BEATS.add(self)
        return self

    def __exit__(self, *_: object) -> None:
        _BEATS.remove(self)


class _Beats:
    """The process's beating thread: ticks each running step's heartbeat when it is due.

    Idle, it still wakes every second, so a step that starts is never due before the thread's
    next look and needs no wake-up call: a step of a few milliseconds costs the thread nothing.
    """

    IDLE_WAKE_S = 1.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._beating: set[Heartbeat] = set()
        self._thread: threading.Thread | None = None
        self._next_look = 0.0

    def add(self, heartbeat: Heartbeat) -> None:
        heartbeat.due = time.monotonic() + heartbeat.interval
        with self._lock:
            self._beating.add(heartbeat)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="heartbeats")
                self._thread.start()
            if heartbeat.due < self._next_look:
                self._wake.notify()

    def remove(self, heartbeat: Heartbeat) -> None:
        with self._lock:
            self._beating.discard(heartbeat)

    def _due(self) -> list[Heartbeat]:
        with self._lock:
            while True:
                now = time.monotonic()
                due = [h for h in self._beating if h.due <= now]
                if due:
                    return due
                idle = now + self.IDLE_WAKE_S
                self._next_look = min((h.due for h in self._beating), default=idle)
                self._wake.wait(self._next_look - now)

    def _run(self) -> None:
        while True:
            for heartbeat in self._due():
                heartbeat.due = time.monotonic() + heartbeat.interval
                try:
                    heartbeat.tick()
                except (
                    Exception
                ):  # a missed beat is retried on the next tick; the lease is generous
                    log.warning("heartbeat of job %s missed", heartbeat.claim.job_id, exc_info=True)


_BEATS = _Beats()


def _local_source(storage: Storage, key: str, ctx: StepContext) -> AbstractContextManager[Path]:
    """The source as a local file while the step runs: the machine's shared copy on S3."""
    return local_source(storage, key, ctx.settings, lambda: ctx.work_dir)


def _source_url(step: str, source_key: str | None) -> str | None:
    settings = get_settings()
    if not STEPS[step].source_url or not source_key or not settings.is_s3:
        return None
    url: str = shared_s3(settings).generate_presigned_url(
        "get_object",
        Params={"Bucket": settings.s3_bucket, "Key": source_key},
        ExpiresIn=SOURCE_URL_TTL_S,
    )
    return url


def _attempt_dir(work_path: Path, job_id: str, attempt: int) -> Path:
    """The attempt's own folder, named but not made (the step makes it if it writes files): a
    killed attempt's orphaned ffmpeg can never write into this one's."""
    job_dir = work_path / job_id
    if job_dir.is_dir():  # an earlier attempt of this job ran here (a retry may reuse its number)
        _clear_earlier_attempts(job_dir)
    return job_dir / f"a{attempt}"


def _clear_earlier_attempts(job_dir: Path) -> None:
    """Stop what a killed attempt on this machine left running, and remove its folder.

    ffmpeg runs in its own session, so a SIGKILLed worker leaves it encoding as an orphan (its
    progress pipe breaks, but ffmpeg carries on). Its working directory names the attempt.
    """
    earlier = [d for d in job_dir.iterdir() if d.is_dir()]
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            cwd = os.readlink(proc / "cwd")
            if any(cwd == str(d) or cwd.startswith(f"{d}/") for d in earlier):
                log.warning("stopping process %s left by an earlier attempt in %s", proc.name, cwd)
                os.kill(int(proc.name), signal.SIGKILL)
    for folder in earlier:
        shutil.rmtree(folder, ignore_errors=True)


def _load(job_id: str) -> StepInputs:
    with autocommit() as connection:
        rows = connection.execute(LOAD, {"job_id": job_id}).all()
    if not rows:
        raise jobs.JobGone(f"job {job_id} or its content is gone")
    return inputs_from_rows(rows)


def run_step(step: str, job_id: str) -> None:
    """Load, call the pipeline, and hand what it made to the attempt: the JobTracking middleware
    claimed the job before this runs and records the success after it returns."""
    settings = get_settings()
    attempt = attempts.current()
    if attempt is None or attempt.claim.job_id != job_id:
        raise jobs.JobGone(f"job {job_id} is not claimed by this thread")
    claim = attempt.claim
    inputs = jobs.durably(lambda: _load(job_id))
    content_id, generation = inputs.content_id, inputs.generation
    prefix = generation_prefix(content_id, generation)
    # What the step reads: the upload, a clip's parent's, or the cut an edit step made.
    source_key = (
        track_recording_key(inputs)
        if inputs.track
        else step_source_key(
            step, inputs.source_key, inputs.parent_source_key, inputs.previous, prefix
        )
    )

    storage = shared_storage(settings)
    work_dir = _attempt_dir(settings.work_path, job_id, claim.attempt)
    cancel = threading.Event()
    ctx = StepContext(
        content_id=content_id,
        generation=generation,
        source=work_dir / "no-source",
        work_dir=work_dir,
        outputs=storage.scoped(prefix),
        settings=settings,
        metadata=inputs.metadata,
        previous=inputs.previous,
        cancel=cancel,
        source_url=_source_url(step, source_key),
        chunk=inputs.chunk,
        chunks=inputs.chunks,
    )
    try:
        # The lease is renewed while the source downloads, or while another step on this machine
        # downloads it; the cached copy is held until the step returns.
        with Heartbeat(claim, cancel) as beat, contextlib.ExitStack() as source_held:
            if source_key:
                ctx.source = source_held.enter_context(_local_source(storage, source_key, ctx))
            ctx.on_progress = beat.report
            result = step_function(step)(ctx)
        attempt.made(generation, result)
    finally:
        # After the step's last write, whether it returned or raised (a delete cancels it).
        remove_if_gone(storage, content_id)
        if ctx.work_dir_made:
            shutil.rmtree(work_dir, ignore_errors=True)
            with contextlib.suppress(OSError):
                os.rmdir(work_dir.parent)  # the job's folder, once no attempt uses it
