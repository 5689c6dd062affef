"""The middleware that keeps each step's Job row true and walks the plan on."""

from __future__ import annotations

import logging
from typing import Any

import dramatiq
import redis
from dramatiq.middleware import Middleware, SkipMessage
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from models import Job
from pipelines.context import StepResult
from pipelines.errors import PipelineError
from workers import attempts, jobs
from workers.db import session_scope
from workers.orchestrator import advance_content, carry_out
from workers.outputs import record_success

log = logging.getLogger(__name__)

# Errors of our own infrastructure that pass: a lost connection to Redis or the database.
_TRANSIENT_INFRASTRUCTURE = (
    redis.ConnectionError,
    redis.TimeoutError,
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
)
# OSErrors that say something about the input, not the moment.
_PERMANENT_OS_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


def is_transient(exc: BaseException) -> bool:
    """Whether trying again can help; decided by the error's class, never by its text."""
    if isinstance(exc, dramatiq.Retry):
        return True
    if isinstance(exc, PipelineError):
        return exc.transient
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, _TRANSIENT_INFRASTRUCTURE):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, _PERMANENT_OS_ERRORS)


def describe(exc: BaseException) -> tuple[str, str, str | None]:
    """The error's message, code and log tail, as a person reads them on the job."""
    cause = exc.__cause__ if isinstance(exc, dramatiq.Retry) and exc.__cause__ else exc
    if isinstance(cause, PipelineError):
        return str(cause), cause.code, cause.log_tail or None
    if isinstance(cause, dramatiq.middleware.TimeLimitExceeded):
        return "the step ran past its time limit", "time_limit", None
    if isinstance(cause, DBAPIError):
        return _database_words(cause), "internal_error", None
    return f"{type(cause).__name__}: {cause}", "internal_error", None


def _database_words(exc: DBAPIError) -> str:
    """The database's own message, without the statement and its parameters that SQLAlchemy
    adds: long, unreadable to an admin, and holding whatever the step produced."""
    diag = getattr(exc.orig, "diag", None)
    primary = getattr(diag, "message_primary", None) or next(
        iter(str(exc.orig).splitlines()), type(exc.orig).__name__
    )
    detail = getattr(diag, "message_detail", None)
    return f"the database refused it: {primary}" + (f" ({detail})" if detail else "")


# A message whose attempt could not be written for a passing reason comes back after this: its
# claim then finds the job as the attempt left it.
RESEND_DELAY_MS = 5_000


def send_again(broker: dramatiq.Broker, message: Any) -> None:
    broker.enqueue(message.copy(), delay=RESEND_DELAY_MS)


def end_attempt(claim: jobs.Claim, status: str, exc: BaseException) -> None:
    """Record how an attempt ended with an error, in the words a person reads on the job."""
    text, code, tail = describe(exc)
    jobs.finish(
        claim.job_id, status, attempt=claim.attempt, error=text, error_code=code, log_tail=tail
    )


class JobTracking(Middleware):
    """Keeps each step's Job row true: claims the job before the actor runs, records how the
    attempt ended after it returns, and advances the plan. The one writer of an attempt's end.

    Dramatiq acknowledges a message after its `after_process_message` hooks have run, so a
    success is committed before its message is acknowledged: a worker that dies in between
    leaves the message to be delivered again, and the step runs again (steps are idempotent).

    It must sit before Retries in the broker's list: `after_*` hooks run in reverse, so this one
    then sees whether Retries scheduled another attempt or failed the message for good.
    """

    def __init__(self, step_names: set[str]) -> None:
        self.step_names = step_names

    def _job_id(self, message: dramatiq.Message) -> str | None:  # type: ignore[type-arg]
        if message.actor_name not in self.step_names or not message.args:
            return None
        return str(message.args[0])

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        attempts.end()
        job_id = self._job_id(message)
        if job_id is None:
            return
        try:
            claim = jobs.claim(job_id, message.message_id)
        except jobs.JobGone:
            advance_for_gone(job_id)
            raise SkipMessage(f"job {job_id} needs no run") from None
        except Exception as exc:
            # Dramatiq logs and ignores other errors of a `before` hook and would run the step
            # unclaimed: put the message back for later instead, and skip it now.
            log.warning("could not claim job %s (%s); it is sent again", job_id, exc)
            send_again(broker, message)
            raise SkipMessage(f"job {job_id} could not be claimed") from exc
        attempts.begin(claim)

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        attempt = attempts.end()
        if attempt is None or attempt.claim.job_id != self._job_id(message):
            return
        claim = attempt.claim
        if exception is None and attempt.result is not None and attempt.generation is not None:
            self._record_success(broker, message, claim, attempt.generation, attempt.result)
            return
        if exception is not None:
            if not message.failed:
                status = "queued"  # the Retries middleware has scheduled another attempt
            else:
                status = "dead" if is_transient(exception) else "failed"
            end_attempt(claim, status, exception)
        jobs.durably(lambda: advance_content(claim.content_id))

    def _record_success(
        self,
        broker: dramatiq.Broker,
        message: Any,
        claim: jobs.Claim,
        generation: int,
        result: StepResult,
    ) -> None:
        """Commit the step's outputs, its success and the plan's advance, then send what was
        planned. A success that cannot be committed for a passing reason sends the message
        again (the step runs again); for any other reason the job fails with the database's
        words, and the message is acknowledged all the same."""
        try:
            outcome = jobs.durably(lambda: record_success(claim, claim.step, generation, result))
        except Exception as exc:
            if is_transient(exc):
                log.warning(
                    "job %s: its success was not recorded (%s); it runs again", claim.job_id, exc
                )
                send_again(broker, message)
                return
            log.error("job %s: its success could not be recorded", claim.job_id, exc_info=exc)
            end_attempt(claim, "failed", exc)
            outcome = None
        try:
            if outcome is not None:
                carry_out(outcome)
            else:  # the attempt had lost its job (a cancel, a take-over), or failed above
                jobs.durably(lambda: advance_content(claim.content_id))
        except Exception:  # a planned message lost here leaves its row queued: the sweeper sends it
            log.warning("could not advance the plan after job %s", claim.job_id, exc_info=True)

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        attempts.end()


def advance_for_gone(job_id: str) -> None:
    """A skipped job may have just been declared dead: let the content's status follow."""

    def content_of() -> str | None:
        with session_scope() as session:
            job = session.get(Job, job_id)
            return job.content_id if job else None

    content_id = jobs.durably(content_of)
    if content_id:
        advance_content(content_id)
