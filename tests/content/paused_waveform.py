"""Imported by a worker process in tests: its waveform step writes an output, waits at a gate
while the test deletes its content, then writes another, as a segment uploaded between a delete
and the step's cancel would. The gate is a folder of marker files named by content id."""

from __future__ import annotations

import os
import time
from pathlib import Path

from msgspec.structs import replace

from pipelines.context import StepContext, StepResult
from pipelines.plans import STEPS

STEPS["waveform"] = replace(
    STEPS["waveform"], function="tests.content.paused_waveform:paused_waveform"
)


def paused_waveform(ctx: StepContext) -> StepResult:
    gate = Path(os.environ["CNT_TEST_GATE"])
    ctx.outputs.put_bytes("waveform/early.json", b"[1, 2, 3]")
    (gate / f"{ctx.content_id}.writing").touch()
    deadline = time.monotonic() + 60
    while not (gate / f"{ctx.content_id}.go").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    ctx.outputs.put_bytes("waveform/late.json", b"[4, 5, 6]")
    (gate / f"{ctx.content_id}.wrote").touch()
    return StepResult()
