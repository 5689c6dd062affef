"""The response cache's Prometheus metrics, served with the API's at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

LOOKUPS = Counter(
    "cnt_api_response_cache_lookups",
    "Anonymous GETs of cached routes looked up while the cache was on, by result",
    ["result"],
)
HITS, MISSES = LOOKUPS.labels("hit"), LOOKUPS.labels("miss")
INVALIDATIONS = Counter(
    "cnt_api_response_cache_invalidations",
    "Times the cache was dropped (a change notified or written here, the feed lost or back)",
)
# 0 while the change feed (LISTEN connection) is down: every answer then comes from the database.
ENABLED = Gauge(
    "cnt_api_response_cache_enabled",
    "1 while the cache is on (its change feed is live)",
    multiprocess_mode="max",
)
