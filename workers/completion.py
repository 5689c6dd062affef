"""A step that has run: its success recorded, the plan advanced, the message acknowledged.

In a worker on our Redis broker this happens behind the worker thread, which takes its next
message at once: the ledger commits the success in its next round, then the planned steps are
sent, and only then is the message acknowledged (`workers.acks`). A process that dies before the
commit leaves the message unacknowledged, and it is delivered again. Anywhere else (a test's
stub broker, a direct call, SQLite) the success is written before the call returns.
"""

from __future__ import annotations

import logging
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage

from pipelines.context import StepResult
from workers import acks, jobs, ledger
from workers.orchestrator import Outcome, advance_content, carry_out
from workers.tracking import end_attempt, is_transient, send_again

log = logging.getLogger(__name__)


def complete(claim: jobs.Claim, step: str, generation: int, result: StepResult) -> None:
    """Record the step's success and carry out the plan's advance (see the module's text)."""
    message = CurrentMessage.get_current_message()
    writer = ledger.ledger()
    if message is None or writer is None or not acks.can_hold(dramatiq.get_broker()):
        outcome = ledger.succeed(claim, step, generation, result)
        if outcome is not None:
            jobs.set_current_claim(None)  # the attempt is recorded and the plan advanced
            carry_out(outcome)
        return
    held = acks.hold(message.message_id)

    def committed(outcome: Outcome | None) -> None:
        try:
            if outcome is not None:
                carry_out(outcome)
            else:  # the attempt had lost its job (a cancel, a take-over): as JobTracking does
                jobs.durably(lambda: advance_content(claim.content_id))
        except Exception:  # a planned message lost here leaves its row queued: the sweeper sends it
            log.warning("could not advance the plan after job %s", claim.job_id, exc_info=True)
        finally:
            held.release()

    def not_recorded(exc: Exception) -> None:
        try:
            _record_failure(claim, message, exc)
        finally:
            held.release()

    try:
        writer.record_success_later(claim, step, generation, result, committed, not_recorded)
    except BaseException:
        held.release()  # nothing will commit it: the error is the step's, as without a hold
        raise
    jobs.set_current_claim(None)  # the ledger has the attempt now


def _record_failure(claim: jobs.Claim, message: dramatiq.Message[Any], exc: Exception) -> None:
    """What the JobTracking middleware does with a step's error, for the success's own."""
    if is_transient(exc):
        log.warning("job %s: its success was not recorded (%s); it runs again", claim.job_id, exc)
        # The claim finds the job running as this attempt left it, so the step runs again. If
        # this send fails too, the job's lease lapses and the sweeper sends it.
        send_again(dramatiq.get_broker(), message)
        return
    log.error("job %s: its success could not be recorded", claim.job_id, exc_info=exc)
    end_attempt(claim, "failed", exc)
    jobs.durably(lambda: advance_content(claim.content_id))
