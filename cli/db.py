"""`cnt db upgrade|downgrade`: apply the migrations to the configured database."""

from __future__ import annotations

import click

from cli import settings_or_exit
from models import migrate


@click.group()
def db() -> None:
    """The database schema."""


@db.command()
@click.option("--revision", default="head", show_default=True)
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    migrate.upgrade(settings_or_exit().sync_database_url, revision)
    click.echo(f"database at {revision}")


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Roll migrations back to REVISION."""
    migrate.downgrade(settings_or_exit().sync_database_url, revision)
    click.echo(f"database at {revision}")
