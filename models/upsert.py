"""INSERT ... ON CONFLICT in the session's own dialect: PostgreSQL and SQLite both speak it, but
SQLAlchemy builds it from each dialect's insert()."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import Base, table_of


def dialect_insert(db: AsyncSession, model: type[Base], values: dict[str, Any]) -> Any:
    """An insert of one row of `model` that can take `.on_conflict_do_nothing()` or
    `.on_conflict_do_update(...)`."""
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table_of(model)).values(values)
