"""An in-process cache of anonymous, public GET answers (the catalog, public playback), dropped
whenever PostgreSQL says a table they read changed.

`GET /api/v1/catalog` and `GET /api/v1/content/{id}/playback` are what listeners hit most, and
their anonymous answers are the same for everyone. Each API process keeps those answers in memory
(`api/response_cache/`): a repeat is served before the database session is even opened (one
uvicorn worker on 2 cores: ~15,000 req/s, above the ~9,000 of a bare `/healthz`, against
~800 req/s for a page the cache does not hold; `make bench`). Kept: only 200s that say
`Cache-Control: public` (catalog pages; playback of public, published, ready content; never
signed URLs), only for requests without an `Authorization` header or cookies. Invalidation:
triggers on `content`, `assets` and `transcripts` (migration 0004) `NOTIFY cnt_catalog_changed`
at every commit that touches them, from any process (other API workers, Dramatiq workers, the
clock, `psql`); each API process `LISTEN`s on its own connection and drops the whole cache. A
write through the API drops its own process's cache before it answers, so its caller sees it on
the next request; other processes see a change as soon as PostgreSQL's notification arrives
(normally well under a millisecond). While the listening connection is down (checked every 5 s)
the cache is off, and it starts empty when it reconnects. `RESPONSE_CACHE_S` (default 10, at most
the 15 s of `Cache-Control`; 0 turns it off) bounds an answer's life whatever happens, which also
covers content whose `published_at` passes with no write; `RESPONSE_CACHE_ENTRIES` (2000) bounds
its size; concurrent misses of one page wait for the first one's answer (after a change, a hot
page is computed once). SQLite has no NOTIFY: the embedded setup caches nothing. Answers carry
`x-cache: hit` or `miss` when the cache was consulted.

Beyond the catalog: public playlist pages (group `playlists`) and the community feed (group
`community`, kept per audience for signed-in members: api/auth/audience.py) are kept too;
triggers on their tables (migration 0012) notify with the table's name, and only the groups
that read it are dropped (listener.TABLE_GROUPS). Playlist pages read nothing that does not
notify, so they are kept until the next publishing time of a sermon they hold back (at most
`RESPONSE_CACHE_NOTIFIED_S`, 600 s), not `RESPONSE_CACHE_S`: over 1,000 pages asked at random,
the 15 s lifetime made one request in ten a miss. The same feed carries `users:{id}` when an
account's role, disabled flag or name changes, for the role cache (api/auth/role_cache.py).
"""

from api.response_cache.listener import CHANNEL, ChangeListener
from api.response_cache.middleware import ResponseCacheMiddleware, keep_until
from api.response_cache.store import CachedResponse, ResponseCache

__all__ = [
    "CHANNEL",
    "CachedResponse",
    "ChangeListener",
    "ResponseCache",
    "ResponseCacheMiddleware",
    "keep_until",
]
