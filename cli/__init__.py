"""The `cnt` command: database, users, media, jobs, and running the whole platform locally."""

from __future__ import annotations

import sys

import click

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
    )
    for module, name in optional:
        try:
            command = getattr(__import__(module, fromlist=[name]), name)
        except (ImportError, AttributeError):
            continue  # a command group that is not built yet is simply not listed
        cli.add_command(command)


def main() -> None:
    _register()
    try:
        cli()
    except SettingsError as exc:
        click.echo(f"cnt: {exc}", err=True)
        sys.exit(2)


def settings_or_exit():  # type: ignore[no-untyped-def]
    try:
        return get_settings()
    except SettingsError as exc:
        click.echo(f"cnt: {exc}", err=True)
        sys.exit(2)
