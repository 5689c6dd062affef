"""Engines and session factories: async for the API, blocking for worker threads and the CLI."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import sessionmaker


def _prepare_sqlite(url: str) -> None:
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(engine: Engine) -> None:
    # WAL lets the API read while a worker writes; foreign keys are off by default in SQLite.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def make_async_engine(url: str, **kwargs: object) -> AsyncEngine:
    _prepare_sqlite(url)
    options: dict[str, object] = {"pool_pre_ping": True}
    options.update(kwargs)
    engine = create_async_engine(url, **options)
    if url.startswith("sqlite"):
        _sqlite_pragmas(engine.sync_engine)
    return engine


def make_sync_engine(url: str, **kwargs: object) -> Engine:
    _prepare_sqlite(url)
    options: dict[str, object] = {"pool_pre_ping": True}
    options.update(kwargs)
    engine = create_engine(url, **options)
    if url.startswith("sqlite"):
        _sqlite_pragmas(engine)
    return engine


def async_session_factory(engine: AsyncEngine) -> async_sessionmaker:  # type: ignore[type-arg]
    return async_sessionmaker(engine, expire_on_commit=False)


def sync_session_factory(engine: Engine) -> sessionmaker:  # type: ignore[type-arg]
    return sessionmaker(engine, expire_on_commit=False)
