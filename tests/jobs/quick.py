"""Imported by a worker process in tests: its waveform step only leaves a mark that it ran."""

from pipelines import steps

steps.STEPS["waveform"] = "tests.jobs.faults:marked_waveform"
