"""Steps that fail on purpose, swapped into the step registry by tests (never by the product)."""

from __future__ import annotations

import collections
import os
import signal

import pytest
from msgspec.structs import replace

from pipelines.context import StepContext, StepResult
from pipelines.media.errors import MediaRejected
from pipelines.plans import STEPS
from pipelines.storage.errors import StorageUnavailable

CALLS: collections.Counter[str] = collections.Counter()


def flaky_waveform(ctx: StepContext) -> StepResult:
    """S3 throttles twice, then the real step runs."""
    from pipelines.media.waveform import waveform_step

    CALLS["flaky_waveform"] += 1
    if CALLS["flaky_waveform"] <= 2:
        raise StorageUnavailable("S3 answered 503 SlowDown")
    CALLS["flaky_waveform_ran"] += 1
    return waveform_step(ctx)


def throttled_waveform(ctx: StepContext) -> StepResult:
    CALLS["throttled_waveform"] += 1
    raise StorageUnavailable("S3 answered 503 SlowDown")


def corrupt_waveform(ctx: StepContext) -> StepResult:
    CALLS["corrupt_waveform"] += 1
    raise MediaRejected("the audio stream is corrupt: invalid data found when processing input")


def kill_own_worker(ctx: StepContext) -> StepResult:
    """What an out-of-memory kill looks like from the outside."""
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def quick_waveform(ctx: StepContext) -> StepResult:
    """Returns at once: what is under test is what happens after a step."""
    CALLS["quick_waveform"] += 1
    return StepResult()


def unstorable_waveform(ctx: StepContext) -> StepResult:
    """A result PostgreSQL refuses to store (jsonb holds no NUL character): the step ran, its
    success cannot be recorded, however often it is tried."""
    CALLS["unstorable_waveform"] += 1
    return StepResult(data={"peaks": "\u0000"})


def marked_waveform(ctx: StepContext) -> StepResult:
    """Returns at once, after a line in the file TEST_STEP_MARKS names: how a test in another
    process counts the runs of a step in a worker process."""
    with open(os.environ["TEST_STEP_MARKS"], "a") as marks:
        marks.write(f"{ctx.content_id}\n")
    return StepResult()


def use_waveform(monkeypatch: pytest.MonkeyPatch, function: str) -> None:
    """Make this process's workers run `function` ("module:name") as the waveform step."""
    monkeypatch.setitem(STEPS, "waveform", replace(STEPS["waveform"], function=function))
