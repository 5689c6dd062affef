"""`cnt clock`: run the periodic tasks (stale uploads, scheduled publishing, lost jobs)."""

from __future__ import annotations

import contextlib
import logging

import click

from cli import settings_or_exit


@click.command()
def clock() -> None:
    """Run the periodic tasks until stopped."""
    settings = settings_or_exit()
    logging.basicConfig(level=settings.log_level)
    from workers.clock.schedule import run_forever

    with contextlib.suppress(KeyboardInterrupt):
        run_forever()
