"""The rate limit's check on every request runs on the event loop: Litestar runs a plain
(sync) callable in a worker thread, and that hop was about half of a cheap request's time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
from litestar.concurrency import get_asyncio_executor, set_asyncio_executor


class RecordingExecutor(ThreadPoolExecutor):
    """A real thread pool that remembers what Litestar sent to it (sync_to_thread)."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.sent: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        # sync_to_thread sends partial(context.run, the_function, ...)
        inner = fn.args[0] if isinstance(fn, partial) and fn.args else fn
        self.sent.append(getattr(inner, "__qualname__", repr(inner)))
        return super().submit(fn, *args, **kwargs)


@pytest.fixture()
def executor() -> Iterator[RecordingExecutor]:
    before = get_asyncio_executor()
    pool = RecordingExecutor()
    set_asyncio_executor(pool)
    try:
        yield pool
    finally:
        set_asyncio_executor(before)
        pool.shutdown()


def test_the_rate_limit_check_does_not_hop_threads(
    executor: RecordingExecutor, client, accounts
) -> None:  # type: ignore[no-untyped-def]
    member = accounts.make("listener")
    executor.sent.clear()
    assert client.get("/healthz").status_code == 200
    assert executor.sent == []  # the cheapest request: nothing at all in a thread
    assert client.get("/api/v1/catalog").status_code == 200
    assert client.get("/api/v1/auth/me", headers=accounts.auth(member)).status_code == 200
    registered = client.post(
        "/api/v1/auth/register", json={"email": "new@church.test", "password": "x" * 12}
    )
    assert registered.status_code == 201
    assert not [name for name in executor.sent if "_is_limited" in name], executor.sent
