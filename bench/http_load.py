"""A small HTTP/1.1 load generator on raw asyncio sockets with keep-alive (wrk is not installed,
and an HTTP client library's own overhead would cap the figures before the server does).

Closed loop (`saturate`): C connections send back to back: the server's maximum rate.
Open loop (`paced`): requests are due at a fixed rate whatever the answers; latency counts from
when a request was due, so a stalled server is not hidden (no coordinated omission).
Once (`once`): each path asked one time, e.g. every page of a cold cache.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    cache_hits: int = 0  # answers saying `x-cache: hit` (the API's response cache)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def line(self, label: str) -> str:
        return (
            f"{label:<34} {self.rate:9.0f} req/s   p50 {self.percentile(0.50):6.2f} ms   "
            f"p99 {self.percentile(0.99):6.2f} ms   errors {self.errors}   "
            f"hits {100 * self.cache_hits / max(1, self.requests):3.0f}%"
        )


class Connection:
    def __init__(self, host: str, port: int, headers: str = "") -> None:
        self.host, self.port = host, port
        self.headers = headers  # extra header lines, each ending in \r\n (e.g. Authorization)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.cache_hits = 0

    async def request(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept: */*\r\n"
            f"{self.headers}\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"x-cache" and value.strip() == b"hit":
                self.cache_hits += 1
        if length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def saturate(
    host: str, port: int, paths: list[str], connections: int, seconds: float, headers: str = ""
) -> LoadResult:
    latencies: list[float] = []
    errors = hits = 0
    deadline = time.perf_counter() + seconds

    async def worker(n: int) -> None:
        nonlocal errors, hits
        connection = Connection(host, port, headers)
        i = n
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status = await connection.request(paths[i % len(paths)])
            latencies.append((time.perf_counter() - started) * 1000)
            errors += status >= 400
            i += connections
        connection.close()
        hits += connection.cache_hits

    began = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(connections)))
    return LoadResult(len(latencies), time.perf_counter() - began, latencies, errors, hits)


async def once(
    host: str, port: int, paths: list[str], connections: int, headers: str = ""
) -> LoadResult:
    """Each of `paths` asked exactly once, C connections sharing them: what a cold cache costs."""
    latencies: list[float] = []
    errors = hits = 0
    queue = iter(paths)

    async def worker() -> None:
        nonlocal errors, hits
        connection = Connection(host, port, headers)
        for path in queue:
            started = time.perf_counter()
            status = await connection.request(path)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += status >= 400
        connection.close()
        hits += connection.cache_hits

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return LoadResult(len(latencies), time.perf_counter() - began, latencies, errors, hits)


async def paced(
    host: str,
    port: int,
    paths: list[str],
    rate: float,
    connections: int,
    seconds: float,
    headers: str = "",
) -> LoadResult:
    latencies: list[float] = []
    errors = hits = 0
    interval = connections / rate  # each connection's share of the rate
    began = time.perf_counter()
    total = int(rate * seconds)
    give_up = began + seconds * 3  # a server far behind its schedule: stop, its p99 is told

    async def worker(n: int) -> None:
        nonlocal errors, hits
        connection = Connection(host, port, headers)
        due = began + n * interval / connections
        for k in range(n, total, connections):
            now = time.perf_counter()
            if now > give_up:
                break
            if due > now:
                await asyncio.sleep(due - now)
            status = await connection.request(paths[k % len(paths)])
            latencies.append((time.perf_counter() - due) * 1000)
            errors += status >= 400
            due += interval
        connection.close()
        hits += connection.cache_hits

    await asyncio.gather(*(worker(n) for n in range(connections)))
    return LoadResult(len(latencies), time.perf_counter() - began, latencies, errors, hits)
