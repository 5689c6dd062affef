"""Benchmark the cost of job tracking on the real Redis broker and PostgreSQL.

Run: `make bench` (all benchmarks), `python -m bench jobs`, or `python bench/jobs_bench.py`.
Needs PostgreSQL (TEST_PG_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/test; a
throwaway database is made and dropped) and Redis (REDIS_URL, a throwaway key namespace).

Prints:
- messages per second of a no-op step with all of our tracking (claim, lease heartbeat, outputs
  and success in one transaction, events, plan advance, the ack held until that commit) vs a
  bare Dramatiq actor on a broker with Dramatiq's default middleware only; same process, same
  threads, queue pre-filled; a run ends when Redis holds no message of it, acked or not;
- between the two, a floor: the bare actor writing the least durable record there is (one
  autocommit UPDATE of its job row when it starts, one when it ends, raw psycopg), which shows
  what a database write per transition costs on this machine before any of our code runs;
- the CPU per message of the worker process (one process, one interpreter lock) and, when they
  run on this machine, of PostgreSQL and Redis: where a message's cost goes;
- enqueue-to-start latency (send to the step's first line, after its claim) with an idle
  worker: p50 and p99, with our 20 ms idle poll (Procfile), 50 ms, and Dramatiq's default 1 s.
Not a test: figures depend on the machine.
"""

from __future__ import annotations

import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

THREADS = 8
TRACKED_MESSAGES = 3000
BARE_MESSAGES = 3000
LATENCY_SAMPLES = 60

STARTED: dict[str, float] = {}
# Each bench content's plan: probe done, the no-op step waiting; after it, nothing to send.
PLAN = (("probe", "media", "succeeded"), ("bench_noop", "bench", "queued"))


def noop_step(ctx):  # type: ignore[no-untyped-def]
    """The step under test does nothing: what is measured is the machinery around it."""
    from pipelines.context import StepResult
    from workers.jobs import current_claim

    claim = current_claim()
    if claim is not None:
        STARTED[claim.job_id] = time.time()
    return StepResult()


def _declare_tracked_step() -> object:
    import dramatiq
    from pipelines.steps import STEPS

    import workers.actors as actors
    from workers.execute import run_step
    from workers.tracking import JobTracking

    STEPS["bench_noop"] = "bench.jobs_bench:noop_step"

    def bench_noop(job_id: str) -> None:
        run_step("bench_noop", job_id)

    actor = dramatiq.actor(bench_noop, actor_name="bench_noop", queue_name="bench", max_retries=0)
    for middleware in actors.broker.middleware:
        if isinstance(middleware, JobTracking):
            middleware.step_names.add("bench_noop")
    return actor


def _jobs(count: int) -> list[str]:
    """`count` queued jobs, each of its own content (mid-processing, nothing else left to send):
    steps of different sermons, as a busy Sunday afternoon has them."""
    from sqlalchemy import insert

    from models import Content, Job, User, new_id
    from workers.db import session_scope

    with session_scope() as session:
        email = f"bench-{secrets.token_hex(4)}@church.test"
        user = User(email=email, password_hash="x", role="creator")
        session.add(user)
        session.flush()
        contents = [new_id() for _ in range(count)]
        session.execute(
            insert(Content),
            [
                {"id": c, "owner_id": user.id, "kind": "sermon", "title": "Bench",
                 "status": "processing", "visibility": "private", "generation": 1}
                for c in contents
            ],
        )  # fmt: skip
        jobs = [
            {"id": new_id(), "content_id": c, "step": step, "generation": 1, "queue": queue,
             "status": status, "attempts": 0, "max_attempts": 3, "progress": 0.0}
            for c in contents
            for step, queue, status in PLAN
        ]  # fmt: skip
        session.execute(insert(Job), jobs)
    _analyze()
    return [j["id"] for j in jobs if j["step"] == "bench_noop"]


def _analyze() -> None:
    """Refresh the planner's statistics, as autovacuum keeps them on a database in use: the
    rows above arrived in one burst, and a plan made for the empty tables (a sequential scan of
    `jobs`) would be measured instead of our code."""
    from sqlalchemy import text

    from workers.db import autocommit

    with autocommit() as connection:
        connection.execute(text("ANALYZE jobs, content"))


def _throughput_tracked() -> Rate:
    import dramatiq

    from workers.orchestrator import send_job

    ids = _jobs(TRACKED_MESSAGES)
    for job_id in ids:
        send_job(job_id, "bench_noop")
    return _drain(dramatiq.get_broker(), "bench", TRACKED_MESSAGES)


class Rate(NamedTuple):
    per_second: float
    cpu_ms: float  # the worker process's CPU per message
    postgres_ms: float | None  # PostgreSQL's CPU per message (all its processes on this machine)
    redis_ms: float | None


def _server_cpu_s(program: str) -> float | None:
    """CPU seconds used so far by this machine's processes of `program` (Linux), or None."""
    total, found = 0, False
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, fields = stat[stat.find("(") + 1 : stat.rfind(")")], stat[stat.rfind(")") + 2 :]
        if name.startswith(program):
            found = True
            user, system = fields.split()[11:13]
            total += int(user) + int(system)
    return total / os.sysconf("SC_CLK_TCK") if found else None


def _per_message_ms(before: float | None, after: float | None, count: int) -> float | None:
    return None if before is None or after is None else (after - before) / count * 1000


def _drain(broker: Any, queue: str, count: int) -> Rate:
    import dramatiq

    worker = dramatiq.Worker(broker, queues={queue}, worker_threads=THREADS, worker_timeout=50)
    servers = _server_cpu_s("postgres"), _server_cpu_s("redis-server")
    cpu, started = time.process_time(), time.perf_counter()
    worker.start()
    broker.join(queue, timeout=600_000)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    postgres, redis = (
        _per_message_ms(before, _server_cpu_s(program), count)
        for before, program in zip(servers, ("postgres", "redis-server"), strict=True)
    )
    worker.stop()
    return Rate(count / elapsed, cpu / count * 1000, postgres, redis)


def _bare_broker(suffix: str) -> Any:
    from dramatiq.brokers.redis import RedisBroker

    from settings import get_settings

    settings = get_settings()
    return RedisBroker(url=settings.redis_url, namespace=f"{settings.broker_namespace}-{suffix}")


def _throughput_bare() -> Rate:
    import dramatiq

    bare = _bare_broker("bare")

    def bare_noop(job_id: str) -> None:
        return None

    actor = dramatiq.actor(bare_noop, broker=bare, queue_name="bench", max_retries=0)
    for i in range(BARE_MESSAGES):
        actor.send(str(i))
    rate = _drain(bare, "bench", BARE_MESSAGES)
    bare.flush_all()
    return rate


def _throughput_floor() -> Rate:
    """The bare actor plus the least durable record: an UPDATE of its row at start and end."""
    import dramatiq
    import psycopg

    from settings import get_settings

    url = get_settings().sync_database_url.replace("postgresql+psycopg://", "postgresql://")
    local = threading.local()

    def connection() -> psycopg.Connection[Any]:
        if getattr(local, "connection", None) is None:
            local.connection = psycopg.connect(url, autocommit=True)
        return local.connection  # type: ignore[no-any-return]

    def floor_noop(job_id: str) -> None:
        db = connection()
        db.execute(
            "UPDATE jobs SET status = 'running', started_at = now() WHERE id = %s", (job_id,)
        )
        db.execute(
            "UPDATE jobs SET status = 'succeeded', finished_at = now() WHERE id = %s", (job_id,)
        )

    floor = _bare_broker("floor")
    actor = dramatiq.actor(floor_noop, broker=floor, queue_name="bench", max_retries=0)
    ids = _jobs(TRACKED_MESSAGES)
    for job_id in ids:
        actor.send(job_id)
    rate = _drain(floor, "bench", len(ids))
    floor.flush_all()
    return rate


def _latency(worker_timeout_ms: int, samples: int) -> tuple[float, float]:
    """Send one job at a time to an idle worker (a random pause first, so its poll backs off)."""
    import dramatiq

    from workers.orchestrator import send_job

    broker = dramatiq.get_broker()
    worker = dramatiq.Worker(
        broker, queues={"bench"}, worker_threads=THREADS, worker_timeout=worker_timeout_ms
    )
    worker.start()
    waits = []
    try:
        for job_id in _jobs(samples):
            time.sleep(random.uniform(0.3, 1.5))
            sent = time.time()
            send_job(job_id, "bench_noop")
            deadline = time.monotonic() + 10
            while job_id not in STARTED and time.monotonic() < deadline:
                time.sleep(0.001)
            waits.append((STARTED[job_id] - sent) * 1000)
    finally:
        worker.stop()
    waits.sort()
    return statistics.median(waits), waits[min(len(waits) - 1, int(len(waits) * 0.99))]


def run() -> None:
    """The measurement, in a process whose environment names the throwaway database."""
    import logging

    from models.migrate import upgrade
    from settings import get_settings

    logging.basicConfig(level=logging.WARNING)
    # Each run below starts a new Worker on the one broker, which Dramatiq warns about each time.
    logging.getLogger("dramatiq.broker.HoldingRedisBroker").setLevel(logging.ERROR)
    upgrade(get_settings().sync_database_url)
    sys.modules.setdefault("bench.jobs_bench", sys.modules[__name__])  # one STARTED dict
    _declare_tracked_step()
    threading.current_thread().name = "bench"
    bare = _throughput_bare()
    floor = _throughput_floor()
    tracked = _throughput_tracked()
    print(f"no-op step, {THREADS} threads, one process, real Redis + PostgreSQL:")
    rows = (
        ("bare Dramatiq actor", bare),
        ("bare + 2 row writes", floor),
        ("with all job tracking", tracked),
    )
    for label, rate in rows:
        ratio = rate.per_second / bare.per_second
        servers = "".join(
            f", {name} {ms:.2f}"
            for name, ms in (("PostgreSQL", rate.postgres_ms), ("Redis", rate.redis_ms))
            if ms is not None
        )
        print(
            f"  {label:24s}{rate.per_second:8.0f} messages/s  ({ratio:.2f}x bare)"
            f"  CPU ms/message: worker {rate.cpu_ms:.2f}{servers}"
        )
    polls = (
        (20, "dramatiq_worker_timeout=20 (our Procfile)"),
        (50, "dramatiq_worker_timeout=50"),
        (1000, "Dramatiq's default (1000)"),
    )
    for timeout_ms, label in polls:
        p50, p99 = _latency(
            timeout_ms, LATENCY_SAMPLES if timeout_ms <= 50 else LATENCY_SAMPLES // 2
        )
        print(f"  enqueue-to-start, idle worker, {label}: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print("  (goal: tracked >= 0.7x bare; enqueue-to-start p99 < 50 ms)")


def main() -> None:
    import psycopg

    admin_url = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
    run_id = secrets.token_hex(4)
    database = f"cnt_bench_{run_id}"
    env = {
        **os.environ,
        "ENV": "test",
        "DATA_DIR": str(ROOT / "var" / "bench" / f"jobs-{run_id}"),
        "DATABASE_URL": admin_url.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[
            0
        ]
        + f"/{database}",
        "BROKER_NAMESPACE": f"cnt-bench-{run_id}",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "CDN_SIGNING_SECRET": secrets.token_urlsafe(48),
    }
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    try:
        subprocess.run([sys.executable, __file__, "--run"], env=env, cwd=ROOT, check=True)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        _clean_redis(env)


def _clean_redis(env: dict[str, str]) -> None:
    import redis

    client = redis.Redis.from_url(env.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    for key in client.scan_iter(match=f"{env['BROKER_NAMESPACE']}*", count=1000):
        client.delete(key)


if __name__ == "__main__":
    if "--run" in sys.argv:
        run()
    else:
        main()
