"""`cnt jobs ...` and `cnt queues`: see what failed and why, retry or cancel it, over SSH.

They talk to the database and Redis named by the environment, through `workers.control`, the
same code the admin API runs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime

import click
from sqlalchemy import select

from cli import settings_or_exit
from models import JOB_STATUSES, Job


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain fixed-width table: readable in any terminal, greppable, no colours."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.1f}"
    text = str(value).replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "..."


def _resolve(prefix: str) -> str:
    """A job id, or a unique prefix of one (the list shows the first 8 characters)."""
    from workers.db import session_scope

    with session_scope() as session:
        ids = session.scalars(select(Job.id).where(Job.id.startswith(prefix)).limit(2)).all()
    if len(ids) != 1:
        _fail(
            f"no job matches {prefix!r}"
            if not ids
            else f"{prefix!r} matches several jobs; give more of the id"
        )
    return ids[0]


def _fail(message: str) -> None:
    click.echo(f"cnt: {message}", err=True)
    sys.exit(1)


def _setup() -> None:
    settings_or_exit()


@click.group()
def jobs() -> None:
    """Processing jobs: list, show, retry, cancel."""


@jobs.command("list")
@click.option("--status", type=click.Choice(JOB_STATUSES))
@click.option("--step", help="e.g. encode_video")
@click.option("--content", "content_id", help="a content id")
@click.option("--limit", default=50, show_default=True)
def list_jobs(status: str | None, step: str | None, content_id: str | None, limit: int) -> None:
    """Jobs, newest first."""
    _setup()
    from workers import control

    where = control.JobFilter(status=status, step=step, content_id=content_id)
    rows, total = control.list_jobs(where, limit=limit)
    click.echo(
        _table(
            ["id", "step", "status", "try", "progress", "queued", "content", "error"],
            [
                (
                    j.id[:8],
                    j.step,
                    j.status,
                    f"{j.attempts}/{j.max_attempts}",
                    f"{j.progress * 100:.0f}%",
                    j.queued_at,
                    j.content_id[:8],
                    j.error,
                )  # fmt: skip
                for j in rows
            ],
        )
    )
    click.echo(f"{len(rows)} of {total} jobs")


@jobs.command("show")
@click.argument("job_id")
def show(job_id: str) -> None:
    """One job: its times, worker, error and the last lines of its log."""
    _setup()
    from workers import control

    job = control.get_job(_resolve(job_id))
    fields = [
        ("id", job.id),
        ("content", job.content_id),
        ("step", job.step),
        ("generation", job.generation),
        ("queue", job.queue),
        ("status", job.status),
        ("attempts", f"{job.attempts}/{job.max_attempts}"),
        ("progress", f"{job.progress * 100:.0f}%"),
        ("worker", job.worker),
        ("queued", job.queued_at),
        ("started", job.started_at),
        ("finished", job.finished_at),
        ("heartbeat", job.heartbeat_at),
        ("cpu seconds", job.cpu_seconds),
        ("media seconds", job.media_seconds),
        ("error code", job.error_code),
        ("error", job.error),
    ]
    for name, value in fields:
        click.echo(f"{name:>14}  {value if isinstance(value, str) else _cell(value)}")
    if job.log_tail:
        click.echo("\nlog tail:\n" + job.log_tail)


@jobs.command("retry")
@click.argument("job_id", required=False)
@click.option(
    "--all-failed", is_flag=True, help="Retry every failed or dead job (of current generations)."
)
@click.option("--step", help="With --all-failed: only this step.")
def retry(job_id: str | None, all_failed: bool, step: str | None) -> None:
    """Retry a failed, dead or cancelled job; the plan resumes from there."""
    _setup()
    from workers import control

    if all_failed == bool(job_id):
        _fail("give a job id or --all-failed (not both)")
    try:
        if job_id:
            job = control.retry_job(_resolve(job_id))
            click.echo(f"retrying {job.step} of content {job.content_id} (job {job.id})")
            return
        retried = control.retry_jobs(control.JobFilter(step=step))
    except control.ControlError as exc:
        _fail(str(exc))
        return
    click.echo(f"retrying {len(retried)} jobs")


@jobs.command("cancel")
@click.argument("job_id")
def cancel(job_id: str) -> None:
    """Cancel a queued or running job (a running ffmpeg stops within seconds)."""
    _setup()
    from workers import control

    try:
        job = control.cancel_job(_resolve(job_id))
    except control.ControlError as exc:
        _fail(str(exc))
        return
    click.echo(f"cancelled {job.step} of content {job.content_id} (job {job.id})")


@click.command()
def queues() -> None:
    """Messages waiting per queue, and jobs queued or running per queue."""
    _setup()
    from sqlalchemy import func

    from workers.db import session_scope
    from workers.queues import queue_depths

    with session_scope() as session:
        counts = session.execute(
            select(Job.queue, Job.status, func.count())
            .where(Job.status.in_(("queued", "running")))
            .group_by(Job.queue, Job.status)
        ).all()
    by_status = {(queue, status): n for queue, status, n in counts}
    click.echo(
        _table(
            [
                "queue",
                "ready",
                "in flight",
                "delayed",
                "dead letters",
                "jobs queued",
                "jobs running",
            ],
            [
                (
                    d.queue,
                    d.ready,
                    d.in_flight,
                    d.delayed,
                    d.dead_letters,
                    by_status.get((d.queue, "queued"), 0),
                    by_status.get((d.queue, "running"), 0),
                )  # fmt: skip
                for d in queue_depths()
            ],
        )
    )
