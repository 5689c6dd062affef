"""Each API process remembers what the database said an account may do (its role, whether it is
disabled), so a signed-in request need not read the users table every time.

Reading the row was a database session and a round trip on every signed-in request: about a
third of a cached feed page's time. It stays exact because every change to a role, a disabled
flag or a display name, from any process or `psql`, makes PostgreSQL notify the API's change
feed (migration 0012: a row trigger on `users`, payload `users:{id}`), and the listener forgets
that account (api/response_cache/listener.py); a change made through this process also forgets
it when its transaction commits (`forget_on_commit`), before the answer leaves. While the change
feed is down the cache is off, and it starts empty when it is back, exactly like the response
cache. A lookup remembers the generation it started in and keeps its answer only if nothing was
forgotten meanwhile (it may have read the row from before the change).
"""

from __future__ import annotations

from collections import OrderedDict

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession


class Standing(tuple[str, bool]):
    """(role, disabled) as the database holds them."""

    __slots__ = ()

    @property
    def role(self) -> str:
        return self[0]

    @property
    def disabled(self) -> bool:
        return self[1]


class RoleCache:
    def __init__(self, max_entries: int = 50_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Standing] = OrderedDict()
        self.enabled = False
        self.generation = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, user_id: str) -> Standing | None:
        if not self.enabled:
            return None
        return self._entries.get(user_id)

    def put(self, user_id: str, generation: int, role: str, disabled: bool) -> None:
        if not self.enabled or generation != self.generation:
            return
        self._entries[user_id] = Standing((role, disabled))
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def forget(self, user_id: str | None = None) -> None:
        """One account changed (or, with no id, any may have)."""
        self.generation += 1
        if user_id is None:
            self._entries.clear()
        else:
            self._entries.pop(user_id, None)

    def enable(self) -> None:
        self.forget()
        self.enabled = True

    def disable(self) -> None:
        self.enabled = False
        self.forget()


# The session factory's `info` carries the process's cache (api/app.py), so the account rules
# (api/auth/accounts.py) reach it from the session they already hold.
INFO_KEY = "role_cache"


def forget_on_commit(db: AsyncSession, user_id: str) -> None:
    """Forget `user_id`'s standing in this process as soon as `db` commits its change: the
    caller's next request must see it even before PostgreSQL's notification arrives."""
    cache = db.sync_session.info.get(INFO_KEY)
    if cache is None:
        return

    def committed(_session: object) -> None:
        cache.forget(user_id)

    event.listen(db.sync_session, "after_commit", committed, once=True)
