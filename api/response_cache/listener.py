"""One LISTEN connection per API process: PostgreSQL triggers notify CHANNEL whenever a table
that cached answers read changes, from any process, and what read it is dropped.

Payloads: empty (content, assets, transcripts; migration 0004): every answer; a table's name
(posts, comments, reactions, playlists, playlist_items; migration 0012): the answers of the
groups that read it (TABLE_GROUPS); `users:{id}` (a role, disabled flag or display name;
migration 0012): that account's standing in the RoleCache, and the community's answers (names).
Groups in NOTIFIED_GROUPS read nothing else, so their answers may live past RESPONSE_CACHE_S.

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

from api.auth.role_cache import RoleCache
from api.response_cache.store import ResponseCache

CHANNEL = "cnt_catalog_changed"
# Which cached groups (a route's `opt["response_cache"]`) read each table that notifies by name.
TABLE_GROUPS: dict[str, tuple[str, ...]] = {
    "posts": ("community",),
    "comments": ("community",),
    "reactions": ("community",),
    "users": ("community",),
    "playlists": ("playlists",),
    "playlist_items": ("playlists",),
}
# Groups whose answers read only tables that notify every change (those above, and content,
# assets and transcripts, which drop everything): while the feed is live such an answer goes
# stale only with the clock (a publishing time), so its route may say how long it holds
# (middleware.keep_until) beyond RESPONSE_CACHE_S. A group joins once every table it reads is
# checked to notify, and its route says when its time-based visibility next changes.
NOTIFIED_GROUPS = frozenset({"playlists"})
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
        roles: RoleCache | None = None,
        ping_s: float = 5.0,
        retry_s: float = 1.0,
    ) -> None:
        self.cache = cache
        self.roles = roles
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
        self._off()

    async def _run(self) -> None:
        while True:
            try:
                await self._listen_once()
            except CONNECTION_ERRORS as exc:
                log.warning("response cache off: change feed lost (%s)", type(exc).__name__)
            except Exception as exc:  # a surprise must not end the loop: the cache would stay off
                log.error("response cache off: change feed failed (%s)", type(exc).__name__)
            finally:
                self._off()
            await asyncio.sleep(self.retry_s)

    async def _listen_once(self) -> None:
        lost = asyncio.Event()
        connection = await asyncpg.connect(self._dsn, timeout=5)
        self.connection = connection
        try:
            connection.add_termination_listener(lambda _conn: self._lost(lost))
            await connection.add_listener(CHANNEL, self._changed)
            self.cache.enable()
            if self.roles is not None:
                self.roles.enable()
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

    def _off(self) -> None:
        self.cache.disable()
        if self.roles is not None:
            self.roles.disable()

    def _lost(self, lost: asyncio.Event) -> None:
        self._off()  # at once, not when the loop above next wakes up
        lost.set()

    def _changed(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        table, _, row_id = payload.partition(":")
        if table == "users" and self.roles is not None:
            self.roles.forget(row_id or None)
        groups = TABLE_GROUPS.get(table)
        if groups is None:  # content, assets, transcripts, or a table we do not know: all of it
            self.cache.invalidate()
        else:
            for group in groups:
                self.cache.invalidate(group)
