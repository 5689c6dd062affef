"""`cnt users create-admin EMAIL` and friends, for whoever holds the server."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from api.auth.passwords import hash_password
from cli import settings_or_exit
from models import ROLES, User, make_sync_engine, sync_session_factory


def _save_user(email: str, password: str, role: str) -> str:
    settings = settings_or_exit()
    engine = make_sync_engine(settings.sync_database_url)
    try:
        with sync_session_factory(engine)() as session:
            email = email.strip().lower()
            user = session.scalars(select(User).where(User.email == email)).first()
            if user is None:
                user = User(email=email, password_hash=hash_password(password), role=role)
                session.add(user)
                verb = "created"
            else:
                user.password_hash, user.role, verb = hash_password(password), role, "updated"
            session.commit()
            return f"{verb} {role} {email} ({user.id})"
    finally:
        engine.dispose()


@click.group()
def users() -> None:
    """Accounts."""


RESET = click.option(
    "--reset", is_flag=True, help="The account exists: set its password and role anew."
)


@users.command("create-admin")
@click.argument("email")
@RESET
@click.password_option(
    envvar="CNT_ADMIN_PASSWORD", help="Asked for when not given (or CNT_ADMIN_PASSWORD)."
)
def create_admin(email: str, reset: bool, password: str) -> None:
    """Create an admin account (--reset: set an existing one's password)."""
    _create(email, password, "admin", reset)


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="creator", show_default=True)
@RESET
@click.password_option(envvar="CNT_USER_PASSWORD")
def create(email: str, role: str, reset: bool, password: str) -> None:
    """Create an account with a role (--reset: set an existing one's password and role)."""
    _create(email, password, role, reset)


def _create(email: str, password: str, role: str, reset: bool) -> None:
    if len(password) < 8:
        click.echo("cnt: the password needs at least 8 characters", err=True)
        sys.exit(2)
    if not reset and _exists(email):
        # Someone's password was silently replaced by a typo'd `create` before.
        click.echo(
            f"cnt: an account {email.strip().lower()} already exists; "
            "add --reset to set its password and role anew",
            err=True,
        )
        sys.exit(1)
    click.echo(_save_user(email, password, role))


def _exists(email: str) -> bool:
    settings = settings_or_exit()
    engine = make_sync_engine(settings.sync_database_url)
    try:
        with sync_session_factory(engine)() as session:
            found = session.scalar(select(User.id).where(User.email == email.strip().lower()))
            return found is not None
    finally:
        engine.dispose()
