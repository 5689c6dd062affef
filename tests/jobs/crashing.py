"""Imported by a worker process in tests: its waveform step kills the worker (a crash loop)."""

from msgspec.structs import replace

from pipelines.plans import STEPS

STEPS["waveform"] = replace(STEPS["waveform"], function="tests.jobs.faults:kill_own_worker")
