"""Running one step: load its job and content, call the pipeline, store what it made."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import threading
from pathlib import Path

import msgspec
from sqlalchemy import select

from models import Content, Job, Series
from pipelines.context import ContentMetadata, StepContext, StepResult
from pipelines.steps import step_function
from pipelines.storage import Storage, s3_client, storage_from_settings
from settings import get_settings
from workers import jobs
from workers.db import session_scope
from workers.metrics import record_step
from workers.store import generation_prefix, store_result

log = logging.getLogger(__name__)

# A provider that can fetch the source itself gets a short-lived URL instead of the bytes.
SOURCE_URL_STEPS = {"transcribe"}
SOURCE_URL_TTL_S = 3600

# Steps that read the uploaded source; the others work from earlier steps' outputs.
NEEDS_SOURCE = {"probe", "encode_audio", "encode_video", "waveform", "thumbnails", "transcribe"}


class Heartbeat:
    """Renews the attempt's lease every second, carrying its progress; sees cancels and take-overs.

    The pipeline's progress callback only stores a number: the database is written from this
    thread, so a slow or restarting database never stalls or breaks an encode.
    """

    def __init__(self, claim: jobs.Claim, cancel: threading.Event, interval: float = 1.0) -> None:
        self.claim = claim
        self.cancel = cancel
        self.interval = interval
        self.progress: float | None = None
        self._published = -1.0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, daemon=True, name=f"beat-{claim.job_id[:8]}"
        )

    def report(self, fraction: float) -> None:
        self.progress = max(0.0, min(1.0, fraction))

    def _tick(self) -> None:
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
                },
            )

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._tick()
            except Exception:  # a missed beat is retried on the next tick; the lease is generous
                log.warning("heartbeat of job %s missed", self.claim.job_id, exc_info=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _metadata(content: Content, series_title: str) -> ContentMetadata:
    return ContentMetadata(
        title=content.title,
        speaker=content.speaker,
        series=series_title,
        description=content.description,
        language=content.language,
        recorded_date=content.recorded_date.isoformat() if content.recorded_date else "",
    )


def _local_source(storage: Storage, key: str, work_dir: Path) -> Path:
    local = storage.local_path(key)
    if local is not None and local.is_file():
        return local
    return storage.get_file(key, work_dir / "source" / Path(key).name)


def _source_url(step: str, source_key: str | None) -> str | None:
    settings = get_settings()
    if step not in SOURCE_URL_STEPS or not source_key or not settings.is_s3:
        return None
    url: str = s3_client(settings).generate_presigned_url(
        "get_object",
        Params={"Bucket": settings.s3_bucket, "Key": source_key},
        ExpiresIn=SOURCE_URL_TTL_S,
    )
    return url


def _clear_earlier_attempts(work_dir: Path) -> None:
    """Stop what a killed attempt on this machine left running, and remove its folder.

    ffmpeg runs in its own session, so a SIGKILLed worker leaves it encoding as an orphan (its
    progress pipe breaks, but ffmpeg carries on). Its working directory names the attempt.
    """
    job_dir = work_dir.parent
    if not job_dir.is_dir():
        return
    earlier = [d for d in job_dir.iterdir() if d.is_dir()]
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            cwd = os.readlink(proc / "cwd")
            if any(cwd == str(d) or cwd.startswith(f"{d}/") for d in earlier):
                log.warning("stopping process %s left by an earlier attempt in %s", proc.name, cwd)
                os.kill(int(proc.name), signal.SIGKILL)
    for folder in earlier:
        shutil.rmtree(folder, ignore_errors=True)


def _load(job_id: str) -> tuple[dict[str, StepResult], ContentMetadata, str | None, int, str]:
    """What the step needs from the database: earlier results, metadata, where the source is."""
    with session_scope() as session:
        job = session.get(Job, job_id)
        assert job is not None
        content = session.get(Content, job.content_id)
        assert content is not None
        series = session.get(Series, content.series_id) if content.series_id else None
        done = session.scalars(
            select(Job).where(
                Job.content_id == content.id,
                Job.generation == job.generation,
                Job.status == "succeeded",
            )
        ).all()
        previous = {j.step: msgspec.convert(j.result or {}, StepResult) for j in done}
        metadata = _metadata(content, series.title if series else "")
        return previous, metadata, content.source_key, job.generation, content.id


def run_step(step: str, job_id: str) -> None:
    """Load, call the pipeline, store. The JobTracking middleware has claimed the job already."""
    settings = get_settings()
    claim = jobs.current_claim()
    if claim is None or claim.job_id != job_id:
        raise jobs.JobGone(f"job {job_id} is not claimed by this thread")
    previous, metadata, source_key, generation, content_id = jobs.durably(lambda: _load(job_id))

    storage = storage_from_settings(settings)
    # A folder per attempt: a killed attempt's orphaned ffmpeg can never write into this one's.
    work_dir = settings.work_path / job_id / f"a{claim.attempt}"
    _clear_earlier_attempts(work_dir)
    work_dir.mkdir(parents=True)
    try:
        source = (
            _local_source(storage, source_key, work_dir)
            if step in NEEDS_SOURCE and source_key
            else work_dir / "no-source"
        )
        cancel = threading.Event()
        ctx = StepContext(
            content_id=content_id,
            generation=generation,
            source=source,
            work_dir=work_dir,
            outputs=storage.scoped(generation_prefix(content_id, generation)),
            settings=settings,
            metadata=metadata,
            previous=previous,
            cancel=cancel,
            source_url=_source_url(step, source_key),
        )
        with Heartbeat(claim, cancel) as beat:
            ctx.on_progress = beat.report
            result = step_function(step)(ctx)
        jobs.durably(lambda: _store(claim, step, content_id, generation, result))
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            work_dir.parent.rmdir()  # the job's folder, once no attempt uses it


def _store(
    claim: jobs.Claim, step: str, content_id: str, generation: int, result: StepResult
) -> None:
    """Outputs and the job's success in one transaction: a crash leaves both or neither."""
    with session_scope() as session:
        content = session.scalars(
            select(Content).where(Content.id == content_id).with_for_update()
        ).first()
        job = session.scalars(select(Job).where(Job.id == claim.job_id).with_for_update()).first()
        if content is None or job is None:
            return
        if job.status != "running" or job.attempts != claim.attempt:
            return  # cancelled or taken over meanwhile: the holder of the lease records the outcome
        store_result(session, content, step, generation, result)
        jobs.mark_succeeded(
            session, job, msgspec.to_builtins(result), result.cpu_seconds, result.media_seconds
        )
        event = jobs.job_event(job)
    jobs.announce(content_id, event)
    record_step(step, result.cpu_seconds, result.media_seconds)
