"""The worker process's database: a blocking engine shared by its threads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from models import make_sync_engine, sync_session_factory
from settings import get_settings


@lru_cache(maxsize=1)
def engine() -> Engine:
    return make_sync_engine(get_settings().sync_database_url, pool_size=10, max_overflow=10)


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
    if engine.cache_info().currsize:
        engine().dispose()
    engine.cache_clear()
    _factory.cache_clear()
