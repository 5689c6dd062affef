"""Benchmark what listeners hit most: GET /api/v1/catalog (20 of 10,000 sermons in PostgreSQL)
and GET /api/v1/content/{id}/playback, against the same app's bare GET /healthz as the
framework's ceiling. One uvicorn worker; the load comes from this (second) process on loopback.
Each route is measured twice: asked the same few things over and over (the response cache
answers after the first), and asked something new every time (every request misses the cache
and runs its queries), so neither figure hides the other.

Run: `make bench` (all benchmarks), `python -m bench catalog`, or `python bench/catalog_bench.py`.
Needs PostgreSQL (TEST_PG_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/test; a
throwaway database is made and dropped) and Redis (REDIS_URL; a throwaway key namespace).
Goal: each route >= 0.5x the ceiling's rate, and p99 < 50 ms when paced at half that rate.
Not a test: figures depend on the machine.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_load import LoadResult, paced, saturate  # noqa: E402

SERMONS = 10_000
CONNECTIONS = 32
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
WORDS = [
    "grace",
    "faith",
    "hope",
    "love",
    "shepherd",
    "sheep",
    "lost",
    "found",
    "mercy",
    "forgiveness",
    "prayer",
    "kingdom",
    "light",
    "bread",
    "water",
    "vine",
    "harvest",
    "covenant",
    "promise",
    "cross",
    "resurrection",
    "peace",
    "joy",
    "patience",
    "spirit",
    "church",
    "neighbour",
    "prodigal",
    "son",
    "father",
    "wilderness",
    "exile",
    "return",
    "rest",
    "sabbath",
    "psalm",
]
# Words a few sermons each say (about 1 in 300), as a remembered phrase would be.
RARE_WORDS = [f"{stem}{n}" for stem in ("zacchaeus", "gideon", "tabitha") for n in range(30)]
SPEAKERS = ["Pastor Ann Lee", "Elder Bob Kim", "Rev. Carla Diaz", "Deacon Dan Obi", "Guest Speaker"]
BOOKS = [("John", 3, 16), ("Psalms", 23, 1), ("Romans", 8, 28), ("Luke", 15, 4), ("Isaiah", 40, 31)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(sync_url: str) -> list[str]:
    """10,000 public sermons in 50 series, each with an MP3, an HLS master and a transcript."""
    from sqlalchemy import insert

    from models import (
        Asset,
        Content,
        Series,
        Transcript,
        User,
        make_sync_engine,
        sync_session_factory,
    )
    from models.base import new_id

    rng = random.Random(7)
    engine = make_sync_engine(sync_url)
    now = datetime.now(UTC)
    ids: list[str] = []
    with sync_session_factory(engine)() as session:
        owner = User(
            email="bench@church.test", password_hash="x", role="creator", display_name="Bench"
        )
        session.add(owner)
        session.flush()
        series_ids = []
        for n in range(50):
            series = Series(owner_id=owner.id, title=f"Series {n}")
            session.add(series)
            session.flush()
            series_ids.append(series.id)
        contents, assets, transcripts = [], [], []
        for n in range(SERMONS):
            content_id = new_id()
            ids.append(content_id)
            book, chapter, verse = rng.choice(BOOKS)
            words = [rng.choice(WORDS) for _ in range(58)] + rng.sample(RARE_WORDS, 2)
            rng.shuffle(words)
            contents.append(
                {
                    "id": content_id,
                    "owner_id": owner.id,
                    "kind": "sermon",
                    "title": " ".join(words[:4]).title(),
                    "description": " ".join(words[4:20]),
                    "speaker": rng.choice(SPEAKERS),
                    "series_id": rng.choice(series_ids),
                    "tags": [rng.choice(WORDS)],
                    "scripture": [
                        {
                            "book": book,
                            "chapter_start": chapter,
                            "verse_start": verse,
                            "chapter_end": chapter,
                            "verse_end": verse,
                            "text": f"{book} {chapter}:{verse}",
                        }
                    ],
                    "language": "en",
                    "recorded_date": date(2026, 1, 1) + timedelta(days=n % 300),
                    "status": "ready",
                    "visibility": "public",
                    "published_at": now - timedelta(minutes=n),
                    "media_type": "audio",
                    "duration": 1800.0,
                    "generation": 1,
                    "live_generation": 1,
                }
            )
            for kind, key, mime in (
                ("mp3", "audio.mp3", "audio/mpeg"),
                ("hls_master", "hls/master.m3u8", "application/vnd.apple.mpegurl"),
            ):
                assets.append(
                    {
                        "id": new_id(),
                        "content_id": content_id,
                        "generation": 1,
                        "kind": kind,
                        "key": f"media/{content_id}/g1/{key}",
                        "mime_type": mime,
                        "bytes": 28_000_000,
                    }
                )
            segments = [
                {
                    "start": i * 5.0,
                    "end": i * 5.0 + 5,
                    "text": " ".join(words[i * 10 : (i + 1) * 10]),
                }
                for i in range(6)
            ]
            transcripts.append(
                {
                    "id": new_id(),
                    "content_id": content_id,
                    "generation": 1,
                    "provider": "bench",
                    "language": "en",
                    "text": " ".join(words),
                    "segments": segments,
                }
            )
        session.execute(insert(Content), contents)
        session.execute(insert(Asset), assets)
        session.execute(insert(Transcript), transcripts)
        session.commit()
    # As autovacuum would after a bulk load: statistics, and the GIN indexes' pending lists merged.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return ids


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-access-log",
            # As the Procfile: one chat message to hundreds of listeners is not compressed
            # once per listener.
            "--ws-per-message-deflate",
            "false",
        ],
        env=env,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("uvicorn did not start")


async def _measure(
    port: int, routes: dict[str, list[str]], fresh: frozenset[str] = frozenset()
) -> dict[str, tuple[LoadResult, LoadResult]]:
    """Routes in `fresh` hand each run (warm-up, max, paced) its own third of their paths, so
    no path repeats across runs and, with paths all distinct, every request misses the cache."""
    results: dict[str, tuple[LoadResult, LoadResult]] = {}
    ceiling = 0.0  # the first route's max rate
    for label, paths in routes.items():
        if label in fresh:
            third = len(paths) // 3
            warm, full_paths, half_paths = (
                paths[:third],
                paths[third : 2 * third],
                paths[2 * third :],
            )
        else:
            warm = full_paths = half_paths = paths
        await saturate("127.0.0.1", port, warm, CONNECTIONS, 1.5)  # warm caches and pools
        full = await saturate("127.0.0.1", port, full_paths, CONNECTIONS, SECONDS)
        ceiling = ceiling or full.rate
        # p99 when the route is asked for half of the rate it can sustain, but no faster than
        # half the ceiling: cache hits outrun /healthz, and pacing faster than that measures
        # this generator (sharing the cores) more than the server.
        rate = min(full.rate, ceiling) / 2
        half = await paced("127.0.0.1", port, half_paths, rate, CONNECTIONS, SECONDS)
        results[label] = (full, half)
    return results


def _page_cursors(sync_url: str) -> list[str]:
    """A cursor after every sermon, as the API writes them: a listener deep in the catalog."""
    from sqlalchemy import text

    from models import make_sync_engine
    from models.catalog.cursor import encode_cursor

    engine = make_sync_engine(sync_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT published_at, id FROM content ORDER BY id")).all()
    engine.dispose()
    return [
        encode_cursor(published_at.isoformat(), content_id) for published_at, content_id in rows
    ]


def main() -> None:
    import psycopg

    from models.migrate import upgrade

    admin_url = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
    database = f"cnt_bench_{secrets.token_hex(4)}"
    base = admin_url.rsplit("/", 1)[0]
    sync_url = f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{database}"
    namespace = f"cnt-bench-{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    server = None
    try:
        upgrade(sync_url)
        started = time.monotonic()
        ids = _seed(sync_url)
        print(f"seeded {SERMONS} sermons in {time.monotonic() - started:.1f} s", flush=True)
        port = _free_port()
        env = {
            **os.environ,
            "ENV": "development",
            "LOG_LEVEL": "WARNING",
            "DATA_DIR": f"/tmp/{namespace}",
            "DATABASE_URL": f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{database}",
            "BROKER_NAMESPACE": namespace,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "JWT_SECRET": secrets.token_urlsafe(48),
            "CDN_SIGNING_SECRET": secrets.token_urlsafe(48),
        }
        server = _serve(env, port)
        rng = random.Random(3)
        cursors = _page_cursors(sync_url)
        rng.shuffle(cursors)
        routes = {
            "GET /healthz (ceiling)": ["/healthz"],
            # One page over and over: after the first, answered from the response cache.
            "catalog, same page (cache hits)": ["/api/v1/catalog?limit=20"],
            # Every request a page never asked before (a cursor after each of the 10,000
            # sermons, three page sizes): each one misses and runs the queries.
            "catalog, new page (cache misses)": [
                f"/api/v1/catalog?limit={limit}&cursor={cursor}"
                for limit in (20, 19, 21)
                for cursor in cursors
            ],
            "playback, 500 ids (cache hits)": [
                f"/api/v1/content/{rng.choice(ids)}/playback" for _ in range(500)
            ],
            # Distinct ids, then a query parameter the API ignores but the cache key includes.
            "playback, new key (cache misses)": [
                f"/api/v1/content/{content_id}/playback?v={n}"
                for n in range(3)
                for content_id in ids
            ],
            "search ?q=, 90 words (cache hits)": [
                f"/api/v1/catalog?limit=20&q={w}" for w in RARE_WORDS
            ],
            "search ?q=, new key (cache misses)": [
                f"/api/v1/catalog?limit=20&q={w}&v={n}" for n in range(200) for w in RARE_WORDS
            ],
        }
        fresh = frozenset(label for label in routes if "misses" in label)
        results = asyncio.run(_measure(port, routes, fresh))
        ceiling = results["GET /healthz (ceiling)"][0].rate
        print(
            f"\none uvicorn worker, {CONNECTIONS} keep-alive connections, {SECONDS:.0f} s per run"
        )
        print("max rate (closed loop):")
        for label, (full, _) in results.items():
            print("  " + full.line(label) + f"   {full.rate / ceiling:4.2f}x ceiling")
        print(
            "paced at half of each route's max rate, at most half the ceiling's "
            "(open loop, latency from when due):"
        )
        for label, (_, half) in results.items():
            print("  " + half.line(label))
        print("goal: >= 0.50x ceiling, and p99 < 50 ms when paced")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
