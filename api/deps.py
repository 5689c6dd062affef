"""Dependencies every controller may ask for: the database session, the caller, settings."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import current_user
from api.auth.tokens import AuthUser
from pipelines.storage import Storage
from settings import Settings


async def provide_db(state: State) -> AsyncGenerator[AsyncSession, None]:
    async with state.db_sessions() as session:
        yield session


async def provide_user(request: Request[Any, Any, Any]) -> AuthUser | None:
    return current_user(request)


async def provide_settings(state: State) -> Settings:
    return state.settings  # type: ignore[no-any-return]


async def provide_storage(state: State) -> Storage:
    return state.storage  # type: ignore[no-any-return]


DEPENDENCIES = {
    "db": Provide(provide_db),
    "user": Provide(provide_user),
    "settings": Provide(provide_settings),
    "storage": Provide(provide_storage),
}
