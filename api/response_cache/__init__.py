"""An in-process cache of anonymous, public GET answers (the catalog, public playback), dropped
whenever PostgreSQL says a table they read changed."""

from api.response_cache.listener import CHANNEL, ChangeListener
from api.response_cache.middleware import ResponseCacheMiddleware
from api.response_cache.store import CachedResponse, ResponseCache

__all__ = [
    "CHANNEL",
    "CachedResponse",
    "ChangeListener",
    "ResponseCache",
    "ResponseCacheMiddleware",
]
