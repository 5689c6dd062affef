"""Redis clients that ride out a Redis restart, for every process (API, workers, clock).

`Redis.from_url` gives a client with no retries at all: after a restart, the first command on
each pooled connection the restart closed fails ("Connection closed by server"), giving
scattered errors long after Redis is back. These clients retry a command that meets a lost
connection on a new one (a few times, a short growing wait apart), ping a pooled connection
that sat idle before using it again, and bound every wait, so a Redis that stops answering
fails a call instead of hanging it. An outage longer than the retries still raises, for the
caller to turn into a 503 or a skipped tick.
"""

from __future__ import annotations

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError, TimeoutError
from redis.retry import Retry

RETRIES = 3
# Seconds: the first retry comes at once-ish, the last within about a second.
BACKOFF_BASE_S = 0.05
BACKOFF_CAP_S = 1.0
HEALTH_CHECK_INTERVAL_S = 15
SOCKET_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 5.0
_RETRY_ON = [ConnectionError, TimeoutError]


def _backoff() -> ExponentialWithJitterBackoff:
    return ExponentialWithJitterBackoff(base=BACKOFF_BASE_S, cap=BACKOFF_CAP_S)


def sync_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        retry=Retry(_backoff(), RETRIES),
        retry_on_error=_RETRY_ON,
        health_check_interval=HEALTH_CHECK_INTERVAL_S,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
    )


def async_client(
    url: str, *, socket_timeout: float | None = SOCKET_TIMEOUT_S
) -> redis.asyncio.Redis:
    """`socket_timeout=None` for a pub/sub connection, which waits for messages as long as
    nothing is published."""
    return redis.asyncio.Redis.from_url(
        url,
        retry=AsyncRetry(_backoff(), RETRIES),
        retry_on_error=_RETRY_ON,
        health_check_interval=HEALTH_CHECK_INTERVAL_S,
        socket_timeout=socket_timeout,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
    )
