"""The worker process's database: a blocking engine shared by its threads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from models import make_sync_engine, sync_session_factory
from settings import get_settings

# Workers skip pre-ping (a round trip before every transaction): a connection lost to a
# database restart fails its transaction once, SQLAlchemy then renews the whole pool, and callers
# that must not fail wait it out with `workers.jobs.durably`.
_pre_ping = False


def use_pre_ping() -> None:
    """Check each connection before use, in a process that uses these pools now and then (the
    API's admin actions): there, a PostgreSQL restart between two uses leaves only dead
    connections, and an action's second transaction would meet one after its first committed.
    Call it before the pools are first used."""
    global _pre_ping
    _pre_ping = True


@lru_cache(maxsize=1)
def engine() -> Engine:
    return make_sync_engine(
        get_settings().sync_database_url, pool_size=10, max_overflow=10, pool_pre_ping=_pre_ping
    )


@contextmanager
def transaction() -> Iterator[Connection]:
    """One transaction on a plain connection (no ORM session): committed when the block ends,
    rolled back on error."""
    with engine().begin() as connection:
        yield connection


@lru_cache(maxsize=1)
def autocommit_engine() -> Engine:
    # A pool of its own: switching a pooled connection to autocommit and back on every checkout
    # costs more than the statement.
    return make_sync_engine(
        get_settings().sync_database_url,
        pool_size=5,
        max_overflow=10,
        pool_pre_ping=_pre_ping,
        isolation_level="AUTOCOMMIT",
    )


@contextmanager
def autocommit() -> Iterator[Connection]:
    """A connection whose every statement commits by itself: for a write that is whole in one
    statement, it saves the BEGIN and COMMIT round trips of a transaction."""
    with autocommit_engine().connect() as connection:
        yield connection


@lru_cache(maxsize=1)
def _factory() -> sessionmaker[Session]:
    return sync_session_factory(engine())


@contextmanager
def session_scope() -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on error."""
    session = _factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def reset() -> None:
    """Forget the engine (tests that change the database between runs)."""
    for cached in (engine, autocommit_engine):
        if cached.cache_info().currsize:
            cached().dispose()
        cached.cache_clear()
    _factory.cache_clear()
