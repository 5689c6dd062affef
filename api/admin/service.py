"""Admin actions for the API and the pages: the workers' control functions, run off the event
loop, with their refusals as the API's errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import anyio

from api.errors import Conflict, InvalidInput, NotFound
from models import JOB_STATUSES
from workers import control

T = TypeVar("T")


async def run_control(fn: Callable[[], T]) -> T:
    """Run an admin action of workers.control off the event loop (it blocks on the database
    and Redis), its refusals turned into the API's errors."""
    try:
        return await anyio.to_thread.run_sync(fn)
    except (control.JobNotFound, control.ContentNotFound) as exc:
        raise NotFound(str(exc)) from None
    except control.ControlError as exc:
        raise Conflict(str(exc)) from None


def job_filter(
    status: str | None,
    step: str | None,
    content_id: str | None,
    queued_after: datetime | None,
    queued_before: datetime | None,
) -> control.JobFilter:
    """The jobs an admin asked for; an unknown status is refused with the known ones."""
    if status is not None and status not in JOB_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(JOB_STATUSES)}")
    return control.JobFilter(
        status=status,
        step=step,
        content_id=content_id,
        queued_after=queued_after,
        queued_before=queued_before,
    )
