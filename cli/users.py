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


@users.command("create-admin")
@click.argument("email")
@click.password_option(
    envvar="CNT_ADMIN_PASSWORD", help="Asked for when not given (or CNT_ADMIN_PASSWORD)."
)
def create_admin(email: str, password: str) -> None:
    """Create (or reset) an admin account."""
    _create(email, password, "admin")


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="creator", show_default=True)
@click.password_option(envvar="CNT_USER_PASSWORD")
def create(email: str, role: str, password: str) -> None:
    """Create (or reset) an account with a role."""
    _create(email, password, role)


def _create(email: str, password: str, role: str) -> None:
    if len(password) < 8:
        click.echo("cnt: the password needs at least 8 characters", err=True)
        sys.exit(2)
    click.echo(_save_user(email, password, role))
