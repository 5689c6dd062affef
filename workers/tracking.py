"""The middleware that keeps each step's Job row true and walks the plan on."""

from __future__ import annotations

import logging
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware, SkipMessage

from pipelines.errors import PipelineError
from workers import jobs
from workers.orchestrator import advance_content

log = logging.getLogger(__name__)


def is_transient(exc: BaseException) -> bool:
    """Whether trying again can help; decided by the error's class, never by its text."""
    if isinstance(exc, dramatiq.Retry):
        return True
    if isinstance(exc, PipelineError):
        return exc.transient
    # Lost connections to Redis, the database or a provider are worth another attempt.
    return isinstance(exc, ConnectionError | TimeoutError | OSError) or type(exc).__name__ in {
        "OperationalError",
        "InterfaceError",
        "DisconnectionError",
    }


def describe(exc: BaseException) -> tuple[str, str, str | None]:
    """The error's message, code and log tail, as a person reads them on the job."""
    cause = exc.__cause__ if isinstance(exc, dramatiq.Retry) and exc.__cause__ else exc
    if isinstance(cause, PipelineError):
        return str(cause), cause.code, cause.log_tail or None
    if isinstance(cause, dramatiq.middleware.TimeLimitExceeded):
        return "the step ran past its time limit", "time_limit", None
    return f"{type(cause).__name__}: {cause}", "internal_error", None


class JobTracking(Middleware):
    """Claims the job before a step runs, records how it ended, and advances the plan."""

    def __init__(self, step_names: set[str]) -> None:
        self.step_names = step_names
        self.content_of: dict[str, str] = {}

    def _job_id(self, message: dramatiq.Message) -> str | None:  # type: ignore[type-arg]
        if message.actor_name not in self.step_names or not message.args:
            return None
        return str(message.args[0])

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        job_id = self._job_id(message)
        if job_id is None:
            return
        try:
            job = jobs.claim(job_id, message.message_id)
        except jobs.JobGone:
            self.content_of.pop(message.message_id, None)
            advance_for_gone(job_id)
            raise SkipMessage(f"job {job_id} needs no run") from None
        self.content_of[message.message_id] = job.content_id

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: BaseException | None = None
    ) -> None:
        job_id = self._job_id(message)
        content_id = self.content_of.pop(message.message_id, None)
        if job_id is None or content_id is None:
            return
        if exception is not None:
            text, code, tail = describe(exception)
            if not message.failed:
                status = "queued"  # the Retries middleware has scheduled another attempt
            else:
                status = "dead" if is_transient(exception) else "failed"
            jobs.finish(job_id, status, error=text, error_code=code, log_tail=tail)
        advance_content(content_id)

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self.content_of.pop(message.message_id, None)


def advance_for_gone(job_id: str) -> None:
    """A skipped job may have just been declared dead: let the content's status follow."""
    from models import Job
    from workers.db import session_scope

    with session_scope() as session:
        job = session.get(Job, job_id)
        content_id = job.content_id if job else None
    if content_id:
        advance_content(content_id)
