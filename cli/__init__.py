"""The `cnt` command: database, users, media, jobs, and running the whole platform locally."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy.exc import OperationalError

from settings import SettingsError, get_settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """CNT Media: the media platform behind a church's ministry."""


def _register() -> None:
    from cli.clock import clock
    from cli.db import db
    from cli.run import demo, run
    from cli.users import users

    for command in (db, users, run, demo, clock):
        cli.add_command(command)
    optional = (
        ("cli.media", "media"),
        ("cli.jobs", "jobs"),
        ("cli.jobs", "queues"),
        ("cli.storage", "storage"),
        ("cli.backup", "backup"),
        ("cli.backup", "restore"),
    )
    for module, name in optional:
        try:
            command = getattr(__import__(module, fromlist=[name]), name)
        except (ImportError, AttributeError):
            continue  # a command group that is not built yet is simply not listed
        cli.add_command(command)


# Commands that read the platform's database. Run where there is none, they made an empty
# ./var and failed deep inside SQLAlchemy with a 60-line traceback.
NEEDS_DATABASE = frozenset({"users", "jobs", "queues", "clock", "demo"})


def _command() -> str:
    return next((arg for arg in sys.argv[1:] if not arg.startswith("-")), "")


def _missing_database() -> Path | None:
    """The embedded SQLite file when it does not exist; None for PostgreSQL or when it does."""
    url = get_settings().sync_database_url
    if not url.startswith("sqlite") or ":///" not in url:
        return None
    path = Path(url.split(":///", 1)[1].split("?", 1)[0])
    return None if path.exists() else path


def main() -> None:
    _register()
    try:
        if _command() in NEEDS_DATABASE and "--help" not in sys.argv:
            missing = _missing_database()
            if missing is not None:
                click.echo(
                    f"cnt: no database at {missing} (DATA_DIR is {get_settings().data_dir}, "
                    "relative to this folder): run cnt in the project folder, set DATA_DIR or "
                    "DATABASE_URL, or make a new one here with `cnt db upgrade`",
                    err=True,
                )
                sys.exit(2)
        cli()
    except SettingsError as exc:
        click.echo(f"cnt: {exc}", err=True)
        sys.exit(2)
    except OperationalError as exc:
        # A database that does not answer or lacks its tables: say so in a line.
        reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
        click.echo(
            f"cnt: the database is not ready ({reason}); is `cnt db upgrade` done?", err=True
        )
        sys.exit(2)


def settings_or_exit():  # type: ignore[no-untyped-def]
    try:
        return get_settings()
    except SettingsError as exc:
        click.echo(f"cnt: {exc}", err=True)
        sys.exit(2)
