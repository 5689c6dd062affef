"""Imported by a worker process in tests: its waveform step kills the worker (a crash loop)."""

from pipelines import steps

steps.STEPS["waveform"] = "tests.jobs.faults:kill_own_worker"
