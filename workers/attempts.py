"""The attempt running on this worker thread: its claim on the job, and what its step made.

The JobTracking middleware begins an attempt when it claims a job, before the actor runs; the
actor runs the step and hands its result to the attempt; the middleware ends the attempt after
the actor returns and records the success (or the failure) of what it holds. Dramatiq runs a
message's hooks and its actor on one thread, so a thread-local is the attempt's home.
"""

from __future__ import annotations

import threading

from pipelines.context import StepResult
from workers.jobs import Claim


class Attempt:
    """One run of one job on this thread."""

    def __init__(self, claim: Claim) -> None:
        self.claim = claim
        self.generation: int | None = None
        self.result: StepResult | None = None

    def made(self, generation: int, result: StepResult) -> None:
        """The step returned: what it made, for the middleware to record."""
        self.generation = generation
        self.result = result


_local = threading.local()


def begin(claim: Claim) -> Attempt:
    attempt = Attempt(claim)
    _local.attempt = attempt
    return attempt


def current() -> Attempt | None:
    attempt: Attempt | None = getattr(_local, "attempt", None)
    return attempt


def end() -> Attempt | None:
    """Forget this thread's attempt; returns it."""
    attempt = current()
    _local.attempt = None
    return attempt
