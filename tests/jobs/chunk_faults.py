"""Imported by a worker process in tests: its video encode marks each run (content, chunk) in the
file TEST_STEP_MARKS names, and the second chunk of each content fails once, passingly (S3
throttled), before it runs for real."""

from __future__ import annotations

import os
from pathlib import Path

from msgspec.structs import replace

from pipelines.context import StepContext, StepResult
from pipelines.media.video import encode_video_step
from pipelines.plans import STEPS
from pipelines.storage.errors import StorageUnavailable

STEPS["encode_video"] = replace(
    STEPS["encode_video"], function="tests.jobs.chunk_faults:marked_encode"
)


def marked_encode(ctx: StepContext) -> StepResult:
    marks = Path(os.environ["TEST_STEP_MARKS"])
    with marks.open("a") as out:
        out.write(f"{ctx.content_id} {ctx.chunk}\n")
    failed_once = marks.with_suffix(f".{ctx.content_id}.failed")
    if ctx.chunk == 2 and not failed_once.exists():
        failed_once.touch()
        raise StorageUnavailable("S3 answered 503 SlowDown")
    return encode_video_step(ctx)
