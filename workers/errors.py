"""Errors of the workers' own machinery (a step's failures are the pipelines' tree, in
pipelines/errors.py). The API and the CLI turn a ControlError into an answer in one sentence.

    JobGone               a delivered message whose job needs no run (finished, cancelled,
                          dead, superseded, or its content deleted): the message is skipped
    ControlError          an admin action that cannot be done; the message says why
     ├── JobNotFound
     ├── ContentNotFound
     ├── NotRetryable      the job is not failed, dead or cancelled
     ├── NotCancellable    the job is not queued or running
     └── NotReprocessable  the content has no whole source yet
"""

from __future__ import annotations


class JobGone(Exception):
    """The job's row no longer wants this message run (finished, cancelled, dead, superseded)."""


class ControlError(Exception):
    """An admin action that cannot be done; the message says why in a sentence."""


class JobNotFound(ControlError):
    pass


class ContentNotFound(ControlError):
    pass


class NotRetryable(ControlError):
    pass


class NotCancellable(ControlError):
    pass


class NotReprocessable(ControlError):
    pass
