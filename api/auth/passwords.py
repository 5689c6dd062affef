"""Password hashing with argon2 (argon2-cffi picks sound parameters and handles rehashing).

The API hashes and verifies in worker threads, never on the event loop: one verification
takes tens of milliseconds of CPU, and ten sign-ins at once (a congregation after a service)
stalled every request of the process for over a second. argon2-cffi releases the GIL while it
works. At most one hash per core runs at a time: each takes 64 MiB, and a burst of sign-ins
must not take the machine's memory.
"""

from __future__ import annotations

import os

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_limiter: anyio.CapacityLimiter | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _hashing_threads() -> anyio.CapacityLimiter:
    # Made on first use: a limiter belongs to the event loop that runs it.
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(max(1, (os.cpu_count() or 1) - 1))
    return _limiter


async def hash_in_thread(password: str) -> str:
    return await anyio.to_thread.run_sync(hash_password, password, limiter=_hashing_threads())


async def verify_in_thread(password_hash: str, password: str) -> bool:
    return await anyio.to_thread.run_sync(
        verify_password, password_hash, password, limiter=_hashing_threads()
    )
