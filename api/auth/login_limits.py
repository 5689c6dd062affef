"""Failed sign-ins, counted per account and per client address in Redis (shared by every API
process), in one-minute windows.

Only failures count. After a service a whole congregation signs in from the church's one
address: ten successful sign-ins a minute from there is normal, while ten wrong passwords for
one account is someone guessing it. An address gets a larger budget than an account, since
many people share it and some mistype.
"""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from api.errors import RateLimited
from settings import Settings

WINDOW_S = 60
# Failures an address may make per window, as a multiple of one account's.
ADDRESS_FACTOR = 5


class LoginLimits:
    def __init__(self, redis: Redis, settings: Settings, address: str) -> None:
        self.redis = redis
        self.per_account = settings.auth_rate_limit_per_minute
        self.per_address = settings.auth_rate_limit_per_minute * ADDRESS_FACTOR
        prefix = f"{settings.broker_namespace}:login_failures"
        self.address_key = f"{prefix}:address:{address}"
        self.prefix = prefix

    def _account_key(self, email: str) -> str:
        # Hashed: the counters need no email address in Redis.
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        return f"{self.prefix}:account:{digest}"

    async def check(self, email: str) -> None:
        """RateLimited when the account or the address failed too often this minute."""
        account, address = await self.redis.mget(self._account_key(email), self.address_key)
        if int(account or 0) >= self.per_account:
            raise RateLimited(
                "too many wrong passwords for this account; wait a minute and try again",
                extra={"retry_after_s": WINDOW_S},
            )
        if int(address or 0) >= self.per_address:
            raise RateLimited(
                "too many failed sign-ins from this address; wait a minute and try again",
                extra={"retry_after_s": WINDOW_S},
            )

    async def failed(self, email: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in (self._account_key(email), self.address_key):
                pipe.incr(key)
                pipe.expire(key, WINDOW_S, nx=True)
            await pipe.execute()
