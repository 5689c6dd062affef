"""One LISTEN connection per API process: PostgreSQL triggers (migration 0004) notify CHANNEL
whenever content, assets or transcripts change, from any process, and the cache is dropped.

While the connection is down the cache is off (a change could go unheard); on reconnecting it
starts empty. A ping every `ping_s` finds a connection that died without closing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from api.response_cache.store import ResponseCache

CHANNEL = "cnt_catalog_changed"
CONNECTION_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
log = logging.getLogger(__name__)


def asyncpg_dsn(database_url: str) -> str:
    """`postgresql+asyncpg://...` as asyncpg itself takes it (password kept, never logged)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class ChangeListener:
    def __init__(
        self,
        cache: ResponseCache,
        database_url: str,
        *,
        ping_s: float = 5.0,
        retry_s: float = 1.0,
    ) -> None:
        self.cache = cache
        self._dsn = asyncpg_dsn(database_url)
        self.ping_s = ping_s
        self.retry_s = retry_s
        self.connection: asyncpg.Connection | None = None
        self.connects = 0  # how many times the feed went live; tests wait on it
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="response-cache-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.cache.disable()

    async def _run(self) -> None:
        while True:
            try:
                await self._listen_once()
            except CONNECTION_ERRORS as exc:
                log.warning("response cache off: change feed lost (%s)", type(exc).__name__)
            except Exception as exc:  # a surprise must not end the loop: the cache would stay off
                log.error("response cache off: change feed failed (%s)", type(exc).__name__)
            finally:
                self.cache.disable()
            await asyncio.sleep(self.retry_s)

    async def _listen_once(self) -> None:
        lost = asyncio.Event()
        connection = await asyncpg.connect(self._dsn, timeout=5)
        self.connection = connection
        try:
            connection.add_termination_listener(lambda _conn: self._lost(lost))
            await connection.add_listener(CHANNEL, self._changed)
            self.cache.enable()
            self.connects += 1
            while not lost.is_set():
                try:
                    await asyncio.wait_for(lost.wait(), self.ping_s)
                except TimeoutError:
                    await connection.fetchval("SELECT 1", timeout=self.ping_s)
            log.warning("response cache off: change feed connection closed")
        finally:
            self.connection = None
            connection.terminate()

    def _lost(self, lost: asyncio.Event) -> None:
        self.cache.disable()  # at once, not when the loop above next wakes up
        lost.set()

    def _changed(self, *_args: Any) -> None:
        self.cache.invalidate()
