"""Every actor, declared in one place: one thin actor per plan step, the orchestrator's
`advance`, the retirement of old generations and the two live-recording actors.

Only a worker process imports this (the `dramatiq workers.actors` command line). Everything
else sends messages by name (`workers.messages`) and never needs the actors declared.
"""

from __future__ import annotations

import dramatiq
from dramatiq.middleware import Retries

from pipelines.errors import PipelineError
from pipelines.plans import STEPS
from settings import get_settings
from workers import attempts, editing, generations, live, track_removal
from workers.broker import setup_broker
from workers.execute import run_step
from workers.messages import ACTOR_QUEUES
from workers.metrics import WorkerMetrics
from workers.orchestrator import advance_content
from workers.tracking import JobTracking, is_transient

broker = setup_broker()
settings = get_settings()

# Per-queue time limits: an hour-long video encode must not be killed at Dramatiq's 10 minutes.
TIME_LIMITS_MS = {
    "transcode": int(settings.ffmpeg_timeout_s * 1000) + 60_000,
    "media": 3_600_000,
    "io": 3_600_000,
    "default": 60_000,
}
MAX_RETRIES = max(0, settings.job_max_attempts - 1)


def _retry_when(retries: int, exc: BaseException) -> bool:
    """Transient failures retry while the job has attempts left; the job row counts attempts
    (crash redeliveries included), not Dramatiq's per-message retry count."""
    attempt = attempts.current()
    left = attempt.claim.attempts_left if attempt is not None else retries < MAX_RETRIES
    return is_transient(exc) and left


def _declare(step: str) -> dramatiq.Actor[[str], None]:
    def step_actor(job_id: str) -> None:
        try:
            run_step(step, job_id)
        except PipelineError as exc:
            retry_after = getattr(exc, "retry_after", None)
            if exc.transient and retry_after:
                raise dramatiq.Retry(str(exc), delay=int(retry_after * 1000)) from exc
            raise

    step_actor.__name__ = step
    queue = STEPS[step].queue
    # The options-then-function form: dramatiq's overloads take options only without `fn`.
    return dramatiq.actor(
        actor_name=step,
        queue_name=queue,
        retry_when=_retry_when,
        min_backoff=settings.job_min_backoff_ms,
        max_backoff=settings.job_max_backoff_ms,
        time_limit=TIME_LIMITS_MS[queue],
    )(step_actor)


STEP_ACTORS = {step: _declare(step) for step in STEPS}
# Dramatiq runs `after_*` hooks in reverse order: placed before Retries, our hook runs after it
# and so knows whether the message was failed for good or scheduled again.
broker.add_middleware(JobTracking(set(STEP_ACTORS)), before=Retries)
broker.add_middleware(WorkerMetrics(set(STEP_ACTORS)), before=Retries)


@dramatiq.actor(queue_name=ACTOR_QUEUES["advance"], max_retries=5, min_backoff=1_000)
def advance(content_id: str) -> None:
    """Enqueue the ready steps of a content (sent by the API when a source is whole)."""
    advance_content(content_id)


@dramatiq.actor(queue_name=ACTOR_QUEUES["cleanup_generation"], max_retries=5, min_backoff=5_000)
def cleanup_generation(content_id: str, live_generation: int) -> None:
    """Retire the generations older than the live one (sent with a grace period's delay)."""
    generations.cleanup_generations(content_id, live_generation)


@dramatiq.actor(
    queue_name=ACTOR_QUEUES["start_egress"], max_retries=3, min_backoff=1_000, time_limit=120_000
)
def start_egress(session_id: str) -> None:
    live.start_egress(session_id)


@dramatiq.actor(
    queue_name=ACTOR_QUEUES["ingest_recording"],
    max_retries=5,
    min_backoff=5_000,
    time_limit=300_000,
)
def ingest_recording(session_id: str, egress_id: str) -> None:
    live.ingest_recording(session_id, egress_id)


@dramatiq.actor(queue_name=ACTOR_QUEUES["auto_trim"], max_retries=5, min_backoff=1_000)
def auto_trim(content_id: str) -> None:
    """Trim a live recording set to trim itself to its suggested sermon (once)."""
    editing.apply_auto_trim(content_id)


@dramatiq.actor(queue_name=ACTOR_QUEUES["remove_audio_track"], max_retries=5, min_backoff=1_000)
def remove_audio_track(content_id: str, language: str) -> None:
    """Take an added audio track out of the live master, then delete it (sent by the API)."""
    track_removal.remove_added_track(content_id, language)
