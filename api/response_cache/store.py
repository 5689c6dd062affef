"""The cache itself: answers by key, each kept at most `ttl_s`, at most `max_entries` of them.

Off until told the invalidation feed is live (`enable`), and off again the moment it is not:
without the feed nobody would tell us the database changed, so nothing is served.
A miss remembers the generation it started in; its answer is stored only if no invalidation
came in between (it may have read rows from before the change).

Concurrent misses of one key wait for the first (`leader`/`follow`): after a change, a hot page
is computed once, not once per waiting request. Lifetimes are spread over the last half of
`ttl_s`, so pages cached together do not all expire (and recompute) together: a thousand
playlist pages first asked for in the same second, spread over the last fifth, came back as
misses within two seconds and their recomputing held up every request behind them for
hundreds of milliseconds (bench/platform_features_bench.py).

`ttl_s` is the backstop for answers whose freshness rests on more than notifications; a group
whose every table notifies its changes gives its own, longer lifetime per answer (`lifetime_s`,
see middleware.keep_until).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import OrderedDict
from collections.abc import Callable

import msgspec

from api.response_cache import metrics


class CachedResponse(msgspec.Struct, frozen=True):
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    expires: float  # time.monotonic() deadline
    group: str = "catalog"  # what it read: a change to a group's tables drops only that group


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
        # key -> the answer its first concurrent miss will give (None: not kept, compute it)
        self._pending: dict[str, asyncio.Future[CachedResponse | None]] = {}
        self.enabled = False
        self.generation = 0
        self.invalidations = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> CachedResponse | None:
        if not self.enabled:
            return None
        entry = self._entries.get(key)
        if entry is None or entry.expires <= self._clock():
            if entry is not None:
                del self._entries[key]
            metrics.MISSES.inc()
            return None
        self._entries.move_to_end(key)
        metrics.HITS.inc()
        return entry

    def put(
        self,
        key: str,
        generation: int,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        group: str = "catalog",
        lifetime_s: float | None = None,
    ) -> bool:
        """Keep an answer computed in `generation`, at most `lifetime_s` (default `ttl_s`);
        False when it may be stale, caching is off, or it holds no longer."""
        if not self.enabled or generation != self.generation:
            return False
        lifetime = (self.ttl_s if lifetime_s is None else lifetime_s) * random.uniform(0.5, 1.0)
        if lifetime <= 0:
            return False
        self._entries[key] = CachedResponse(status, headers, body, self._clock() + lifetime, group)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return True

    def peek(self, key: str) -> CachedResponse | None:
        """The kept answer, for a waiting miss that its leader just stored (no hit counted)."""
        return self._entries.get(key) if self.enabled else None

    def follow(self, key: str) -> asyncio.Future[CachedResponse | None] | None:
        """The answer a miss already computing `key` will give, if one is under way."""
        return self._pending.get(key)

    def lead(self, key: str) -> asyncio.Future[CachedResponse | None]:
        future: asyncio.Future[CachedResponse | None] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        return future

    def settle(self, key: str, future: asyncio.Future[CachedResponse | None]) -> None:
        """The leading miss is done: its followers get what it stored, or compute their own."""
        if self._pending.get(key) is future:
            del self._pending[key]
        if not future.done():
            future.set_result(self.peek(key))

    def invalidate(self, group: str | None = None) -> None:
        """Something the answers read changed: forget them all (or those of `group`), and any
        miss still running (its followers compute their own answer; new misses lead anew)."""
        self.generation += 1
        self.invalidations += 1
        metrics.INVALIDATIONS.inc()
        if group is None:
            self._entries.clear()
        else:
            for key in [k for k, entry in self._entries.items() if entry.group == group]:
                del self._entries[key]
        self._pending.clear()

    def enable(self) -> None:
        """The invalidation feed is live (again): start empty, changes may have gone unheard."""
        self.invalidate()
        self.enabled = True
        metrics.ENABLED.set(1)

    def disable(self) -> None:
        self.enabled = False
        metrics.ENABLED.set(0)
        self.invalidate()
