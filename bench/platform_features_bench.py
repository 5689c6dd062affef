"""Benchmark the member-facing pages of a busy church and its live chat (issue 20, Performance).

In PostgreSQL, bulk-inserted with SQL (not through the API): 10,000 members, 100,000 posts and
100,000 comments on them, and 1,000 public playlists of 20 sermons each. Against one uvicorn
worker, loaded from this (second) process with bench/http_load.py:

- GET /api/v1/posts (the community feed, as a signed-in member: it needs one) and
  GET /api/v1/playlists/{id} (a random one of the 1,000 each request): the max rate as a
  ratio of the same app's GET /healthz, then p50/p99 paced at half of that rate.
  Goal: >= 0.5x /healthz, p99 < 50 ms. Before those runs, each of the 1,000 playlist pages is
  asked once (printed: what a cold cache costs); the runs then measure the steady state.
- Live chat fan-out: 500 WebSocket listeners on one public live service, half on each of two
  API processes (same Redis, same database); the host sends messages with POST .../chat, and
  each listener's delivery time counts from just before that POST (so it includes storing the
  message). Goal: p99 < 100 ms.

Run: `make bench`, `python -m bench platform_features`, or
`python bench/platform_features_bench.py`.
Smaller: BENCH_MEMBERS, BENCH_POSTS (posts, and as many comments), BENCH_PLAYLISTS,
BENCH_LISTENERS, BENCH_MESSAGES, BENCH_SECONDS (per load run). Needs PostgreSQL
(TEST_PG_ADMIN_URL; a throwaway database, dropped at the end) and Redis (REDIS_URL; a throwaway
key namespace, deleted at the end). Not a test: figures depend on the machine.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalog_bench import _free_port, _serve  # noqa: E402
from bench.http_load import LoadResult, once, paced, saturate  # noqa: E402

MEMBERS = int(os.environ.get("BENCH_MEMBERS", "10000"))
POSTS = int(os.environ.get("BENCH_POSTS", "100000"))  # and as many comments
PLAYLISTS = int(os.environ.get("BENCH_PLAYLISTS", "1000"))
ITEMS_PER_PLAYLIST = 20
SERMONS = 2_000  # what the playlists hold
LISTENERS = int(os.environ.get("BENCH_LISTENERS", "500"))
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "20"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = 32
BATCH = 10_000  # rows per INSERT statement: bounded memory whatever the size


def _insert(session: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    from sqlalchemy import insert

    for start in range(0, len(rows), BATCH):
        session.execute(insert(model), rows[start : start + BATCH])


def _seed(sync_url: str) -> dict[str, Any]:
    """Members, posts with comments, sermons in public playlists, and one live service."""
    from models import (
        Comment,
        Content,
        LiveSession,
        Playlist,
        PlaylistItem,
        Post,
        User,
        make_sync_engine,
        sync_session_factory,
    )
    from models.base import new_id

    rng = random.Random(11)
    engine = make_sync_engine(sync_url)
    now = datetime.now(UTC)
    with sync_session_factory(engine)() as session:
        members = [
            {
                "id": new_id(),
                "email": f"member{n}@church.test",
                "password_hash": "x",
                "role": "listener",
                "display_name": f"Member {n}",
            }
            for n in range(MEMBERS)
        ]
        host = {**members[0], "role": "creator", "display_name": "Pastor Bench"}
        members[0] = host
        _insert(session, User, members)
        member_ids = [m["id"] for m in members]
        posts = [
            {
                "id": new_id(),
                "author_id": rng.choice(member_ids),
                "kind": "prayer_request" if n % 4 == 0 else "post",
                "text": f"Post {n}: thankful for this week's sermon and the people who came.",
                "anonymous": n % 8 == 0,
                "status": "visible",
                "created_at": now - timedelta(seconds=n),
                "updated_at": now - timedelta(seconds=n),
            }
            for n in range(POSTS)
        ]
        _insert(session, Post, posts)
        comments = [
            {
                "id": new_id(),
                "post_id": posts[rng.randrange(len(posts))]["id"],
                "author_id": rng.choice(member_ids),
                "text": f"Comment {n}: praying with you.",
                "status": "visible",
                "created_at": now - timedelta(seconds=n),
                "updated_at": now - timedelta(seconds=n),
            }
            for n in range(POSTS)
        ]
        del posts
        _insert(session, Comment, comments)
        del comments
        sermons = [
            {
                "id": new_id(),
                "owner_id": host["id"],
                "kind": "sermon",
                "title": f"Sermon {n}",
                "description": "",
                "speaker": "Pastor Bench",
                "language": "en",
                "status": "ready",
                "visibility": "public",
                "published_at": now - timedelta(minutes=n),
                "media_type": "audio",
                "duration": 1800.0,
                "generation": 1,
                "live_generation": 1,
            }
            for n in range(SERMONS)
        ]
        _insert(session, Content, sermons)
        sermon_ids = [s["id"] for s in sermons]
        playlists = [
            {
                "id": new_id(),
                "owner_id": rng.choice(member_ids),
                "title": f"Playlist {n}",
                "visibility": "public",
            }
            for n in range(PLAYLISTS)
        ]
        _insert(session, Playlist, playlists)
        _insert(
            session,
            PlaylistItem,
            [
                {"id": new_id(), "playlist_id": p["id"], "content_id": c, "position": i}
                for p in playlists
                for i, c in enumerate(rng.sample(sermon_ids, ITEMS_PER_PLAYLIST))
            ],
        )
        live = {
            "id": new_id(),
            "owner_id": host["id"],
            "room_name": f"bench-{secrets.token_hex(4)}",
            "title": "Sunday service",
            "visibility": "public",
            "record": False,
            "status": "live",
            "started_at": now,
        }
        _insert(session, LiveSession, [live])
        session.commit()
    # As autovacuum would after a bulk load: the planner's statistics.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return {
        "member": members[1]["id"] if MEMBERS > 1 else host["id"],
        "host": host["id"],
        "playlists": [p["id"] for p in playlists],
        "live": live["id"],
    }


def _token(env: dict[str, str], user_id: str, role: Literal["listener", "creator"]) -> str:
    from api.auth.tokens import AuthUser, create_access_token
    from settings import load_settings

    settings = load_settings(None, env="development", jwt_secret=env["JWT_SECRET"])
    return create_access_token(settings, AuthUser(id=user_id, email="bench@church.test", role=role))


Run = tuple[LoadResult | None, LoadResult, LoadResult]  # cold (many pages only), max, paced


async def _route(port: int, paths: list[str], ceiling: float, headers: str = "") -> Run:
    """Every page asked once first (a cold cache: what filling it costs), then the max rate
    (closed loop), then paced at half of it, but no faster than half the ceiling. The max and
    paced runs are the steady state: a page kept until it changes stays kept once asked (with
    an 8 s run, the 1,000 pages' first misses would otherwise fall inside it)."""
    pages = sorted(set(paths))
    cold = await once("127.0.0.1", port, pages, CONNECTIONS, headers) if len(pages) > 1 else None
    await saturate("127.0.0.1", port, paths, CONNECTIONS, 1.5, headers)  # warm pools
    full = await saturate("127.0.0.1", port, paths, CONNECTIONS, SECONDS, headers)
    rate = min(full.rate, ceiling or full.rate) / 2
    half = await paced("127.0.0.1", port, paths, rate, CONNECTIONS, SECONDS, headers)
    return cold, full, half


async def _pages(port: int, member_token: str, playlist_ids: list[str]) -> dict[str, Run]:
    rng = random.Random(5)
    auth = f"Authorization: Bearer {member_token}\r\n"
    results = {"GET /healthz (ceiling)": await _route(port, ["/healthz"], 0.0)}
    ceiling = results["GET /healthz (ceiling)"][1].rate
    results["feed, first page (member)"] = await _route(
        port, ["/api/v1/posts?limit=20"], ceiling, auth
    )
    results["feed, prayer requests (member)"] = await _route(
        port, ["/api/v1/posts?limit=20&kind=prayer_request"], ceiling, auth
    )
    results["playlist page, random of all"] = await _route(
        port, [f"/api/v1/playlists/{rng.choice(playlist_ids)}" for _ in range(5000)], ceiling
    )
    return results


async def _fan_out(ports: list[int], session_id: str, host_token: str) -> tuple[list[float], int]:
    """Delivery times (ms) of MESSAGES chat messages to LISTENERS sockets spread over `ports`;
    and how many deliveries never came."""
    import httpx
    from websockets.asyncio.client import connect

    arrivals: dict[str, list[float]] = {}  # marker -> when each listener saw it
    sockets = []
    for n in range(LISTENERS):
        port = ports[n % len(ports)]
        ws = await connect(f"ws://127.0.0.1:{port}/api/v1/live/sessions/{session_id}/ws")
        await ws.recv()  # the snapshot: subscribed from here on
        sockets.append(ws)

    async def listen(ws: Any) -> None:
        async for raw in ws:
            # A cheap look for the marker: parsing JSON here would count against delivery.
            text = raw if isinstance(raw, str) else raw.decode()
            start = text.find("bench-msg-")
            if start >= 0:
                arrivals.setdefault(text[start : start + 14], []).append(time.perf_counter())

    listeners = [asyncio.create_task(listen(ws)) for ws in sockets]
    latencies: list[float] = []
    missing = 0
    url = f"http://127.0.0.1:{ports[0]}/api/v1/live/sessions/{session_id}/chat/"
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {host_token}"}) as client:
        await client.post(url, json={"text": "warm-up"})
        await asyncio.sleep(0.5)
        for m in range(MESSAGES):
            marker = f"bench-msg-{m:04d}"
            sent = time.perf_counter()
            answer = await client.post(url, json={"text": f"{marker} peace be with you"})
            answer.raise_for_status()
            deadline = time.perf_counter() + 5
            while len(arrivals.get(marker, [])) < LISTENERS and time.perf_counter() < deadline:
                await asyncio.sleep(0.005)
            seen = arrivals.get(marker, [])
            latencies += [(t - sent) * 1000 for t in seen]
            missing += LISTENERS - len(seen)
            await asyncio.sleep(0.2)
    for task in listeners:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return latencies, missing


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _forget_keys(namespace: str) -> None:
    import redis

    client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    keys = list(client.scan_iter(f"{namespace}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> None:
    import psycopg
    import uvloop

    from models.migrate import upgrade

    admin_url = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
    database = f"cnt_bench_{secrets.token_hex(4)}"
    base = admin_url.rsplit("/", 1)[0]
    sync_url = f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{database}"
    namespace = f"cnt-bench-{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    servers: list[subprocess.Popen[bytes]] = []
    try:
        upgrade(sync_url)
        started = time.monotonic()
        seeded = _seed(sync_url)
        print(
            f"seeded {MEMBERS} members, {POSTS} posts, {POSTS} comments, {PLAYLISTS} playlists "
            f"of {ITEMS_PER_PLAYLIST} in {time.monotonic() - started:.1f} s",
            flush=True,
        )
        ports = [_free_port(), _free_port()]
        env = {
            **os.environ,
            "ENV": "development",
            "LOG_LEVEL": "WARNING",
            "DATA_DIR": f"/tmp/{namespace}",
            "DATABASE_URL": f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{database}",
            "BROKER_NAMESPACE": namespace,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports[0]}",
            "JWT_SECRET": secrets.token_urlsafe(48),
            "CDN_SIGNING_SECRET": secrets.token_urlsafe(48),
        }
        servers.append(_serve(env, ports[0]))
        member = _token(env, seeded["member"], "listener")
        host = _token(env, seeded["host"], "creator")
        # uvloop, as uvicorn runs the server: the load generator shares the two cores with it,
        # and the lighter it is, the less of the server's latency is the generator's own.
        results = uvloop.run(_pages(ports[0], member, seeded["playlists"]))
        ceiling = results["GET /healthz (ceiling)"][1].rate
        print(
            f"\none uvicorn worker, {CONNECTIONS} keep-alive connections, {SECONDS:.0f} s per run"
        )
        print("each page asked once first (a cold cache):")
        for label, (cold, _, _) in results.items():
            if cold is not None:
                print("  " + cold.line(label))
        print("max rate (closed loop):")
        for label, (_, full, _) in results.items():
            print("  " + full.line(label) + f"   {full.rate / ceiling:4.2f}x ceiling")
        print("paced at half of each route's max rate (open loop, latency from when due):")
        for label, (_, _, half) in results.items():
            print("  " + half.line(label))
        print("goal: >= 0.50x ceiling, and p99 < 50 ms when paced")

        # The second API process joins only now, so the page figures are one process's alone.
        servers.append(_serve(env, ports[1]))
        latencies, missing = uvloop.run(_fan_out(ports, seeded["live"], host))
        print(
            f"\nlive chat fan-out: {MESSAGES} messages, each to {LISTENERS} WebSocket listeners "
            f"on two API processes (delivery from just before the POST):"
        )
        print(
            f"  p50 {_percentile(latencies, 0.5):6.2f} ms   p99 {_percentile(latencies, 0.99):6.2f}"
            f" ms   max {max(latencies, default=float('nan')):6.2f} ms   "
            f"delivered {len(latencies)}   missing {missing}"
        )
        print("goal: p99 < 100 ms, none missing")
    finally:
        for server in servers:
            _stop(server)
        _forget_keys(namespace)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
