"""Dramatiq workers: the broker, job tracking, the orchestrator and one thin actor per step.

Import `workers.actors` to declare every actor on the configured broker.
"""
