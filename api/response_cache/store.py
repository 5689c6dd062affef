"""The cache itself: answers by key, each kept at most `ttl_s`, at most `max_entries` of them.

Off until told the invalidation feed is live (`enable`), and off again the moment it is not:
without the feed nobody would tell us the database changed, so nothing is served.
A miss remembers the generation it started in; its answer is stored only if no invalidation
came in between (it may have read rows from before the change).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

import msgspec


class CachedResponse(msgspec.Struct, frozen=True):
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    expires: float  # time.monotonic() deadline


class ResponseCache:
    def __init__(
        self,
        ttl_s: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, CachedResponse] = OrderedDict()
        self.enabled = False
        self.generation = 0
        self.hits = 0
        self.misses = 0
        self.invalidations = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> CachedResponse | None:
        if not self.enabled:
            return None
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        if entry.expires <= self._clock():
            del self._entries[key]
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(
        self,
        key: str,
        generation: int,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> bool:
        """Keep an answer computed in `generation`; False when it may be stale or caching is off."""
        if not self.enabled or generation != self.generation:
            return False
        self._entries[key] = CachedResponse(status, headers, body, self._clock() + self.ttl_s)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return True

    def invalidate(self) -> None:
        """Something the answers read changed: forget them all, and any miss still running."""
        self.generation += 1
        self.invalidations += 1
        self._entries.clear()

    def enable(self) -> None:
        """The invalidation feed is live (again): start empty, changes may have gone unheard."""
        self.invalidate()
        self.enabled = True

    def disable(self) -> None:
        self.enabled = False
        self.invalidate()
