"""Imported by a worker process in tests: its waveform step only leaves a mark that it ran."""

from msgspec.structs import replace

from pipelines.plans import STEPS

STEPS["waveform"] = replace(STEPS["waveform"], function="tests.jobs.faults:marked_waveform")
