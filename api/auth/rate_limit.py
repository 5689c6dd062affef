"""Rate limits on signing up (account spam) per client address.

Litestar's RateLimitMiddleware counts per client address in a Redis store (shared by every API
process; a per-process memory store would multiply the limit by the number of workers), keyed
under the run's namespace. Other routes pass through uncounted. Signing in through the API is
limited by its failures instead (api/auth/login_limits.py): this middleware counts every
request, and a congregation signing in after a service shares one address.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.stores.redis import RedisStore

from settings import Settings
from workers.redis_clients import async_client

# Signing up is limited per address here; signing in (the API's and the pages' /login form) by
# its failures, per account and per address (api/auth/login_limits.py).
LIMITED_PATHS = frozenset({"/api/v1/auth/register"})
STORE = "rate_limit"


async def _is_limited(request: Request[Any, Any, Any]) -> bool:
    # `async` although it awaits nothing: the middleware asks it on every request of every
    # route, and Litestar runs a plain function in a worker thread (sync_to_thread), a thread
    # hop that cost about half of a cheap request's time (/healthz 565 -> 332 us). It only reads
    # the path, so it cannot block the event loop.
    return request.url.path.rstrip("/") in LIMITED_PATHS


def auth_rate_limit(settings: Settings) -> RateLimitConfig:
    return RateLimitConfig(
        rate_limit=("minute", settings.auth_rate_limit_per_minute),
        check_throttle_handler=_is_limited,
        store=STORE,
    )


def rate_limit_store(settings: Settings) -> RedisStore:
    return RedisStore(
        async_client(settings.redis_url),
        namespace=f"{settings.broker_namespace}:rate_limit",
        handle_client_shutdown=True,
    )
