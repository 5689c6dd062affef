"""Benchmark the job core on the real Redis broker and PostgreSQL: what a step costs a worker
beyond its pipeline function, and how long an idle worker takes to start one.

The step is the audio plan's `waveform` with its function swapped for a no-op (the step table's
`function`, as tests/jobs/faults.py `use_waveform` swaps it), run by the real actors and all of
our middleware (`workers.actors`: job tracking, worker metrics, Dramatiq's defaults) in one
in-process Dramatiq worker booted as the `dramatiq` command boots one (process_boot hooks), with
the Procfile's worker-io settings: 8 threads, `dramatiq_worker_timeout=20`, metrics on. Each
step is one sermon's waveform with probe, encode_audio and transcribe already done (their
results real: a 1-minute sermon probed and encoded once per run), so its success also plans
and sends `publish`, as one step's success on average plans one more.

Prints:
- the worker process's CPU per step (time.process_time: every thread of the process, over
  JOBS_BENCH_STEPS steps, default 500, sent before the worker starts; after a warm-up): claim,
  inputs, heartbeat, success with the plan's advance in one transaction, events, the publish
  message, metrics, Dramatiq's own work (goal <= 5 ms); beside it the CPU per step of the
  PostgreSQL backends of the bench's database and of the Redis server (from /proc, when they run
  on this machine; Redis's includes whatever else uses it);
- enqueue-to-start on an idle worker (the message's enqueue to the step's first line, after its
  claim), p50 and p99 over JOBS_BENCH_SAMPLES (default 200) steps sent one at a time after a
  pause (goal p99 < 50 ms), and the share up to the claim's `started_at`.

Run: `make bench`, `python -m bench jobs`, or `python bench/jobs_bench.py`. Needs PostgreSQL
(TEST_PG_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/test; a throwaway database is
made and dropped) and Redis (REDIS_URL; a throwaway key namespace, deleted after). Not a test:
figures depend on the machine, which should be otherwise idle.
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STEP = "waveform"
NOOP = "bench.jobs_bench:noop_step"
QUEUE = "media"
THREADS = 8  # the Procfile's worker-io
IDLE_POLL_MS = 20  # the Procfile's dramatiq_worker_timeout
STEPS = int(os.environ.get("JOBS_BENCH_STEPS", "500"))
SAMPLES = int(os.environ.get("JOBS_BENCH_SAMPLES", "200"))
WARM_UP = 50
GOAL_CPU_MS = 5.0
GOAL_P99_MS = 50.0

# job id -> time.time() at the no-op step's first line; and who waits for it.
STARTED: dict[str, float] = {}
ARRIVED: dict[str, threading.Event] = {}


def noop_step(ctx: Any) -> Any:
    """The step under test does nothing: what is measured is the machinery around it."""
    from pipelines.context import StepResult
    from workers import attempts

    now = time.time()
    attempt = attempts.current()
    if attempt is not None:
        job_id = attempt.claim.job_id
        STARTED[job_id] = now
        arrived = ARRIVED.get(job_id)
        if arrived is not None:
            arrived.set()
    return StepResult()


def _earlier_results(work: Path) -> dict[str, dict[str, Any]]:
    """What a sermon's waveform finds done before it: a real probe's and audio encode's
    results (a 1-minute sermon, made once into var/bench), and an empty transcript."""
    import msgspec

    from bench.pipelines_bench import make_sermon
    from pipelines.context import StepContext
    from pipelines.media.audio import encode_audio_step
    from pipelines.media.probe import probe_step
    from pipelines.storage import LocalStorage
    from settings import get_settings

    root = Path(os.environ.get("CNT_BENCH_DIR", str(ROOT / "var" / "bench"))).resolve()
    ctx = StepContext(
        content_id="bench",
        generation=1,
        source=make_sermon(root, 1),
        work_dir=work / "probe",
        outputs=LocalStorage(work / "store"),
        settings=get_settings(),
    )
    probe = probe_step(ctx)
    ctx.previous["probe"] = probe
    ctx.work_dir = work / "encode_audio"
    encoded = encode_audio_step(ctx)
    return {
        "probe": msgspec.to_builtins(probe),
        "encode_audio": msgspec.to_builtins(encoded),
        "transcribe": {},
    }


def _seed(count: int, earlier: dict[str, dict[str, Any]]) -> list[Any]:
    """`count` sermons mid-processing, each with its waveform queued; returns their messages
    (built as the orchestrator builds them: the row names its message before it is sent)."""
    from sqlalchemy import insert, text

    from models import Content, Job, User, new_id, utcnow
    from workers import messages
    from workers.db import autocommit, session_scope

    with session_scope() as session:
        user = User(
            email=f"bench-{secrets.token_hex(4)}@church.test", password_hash="x", role="creator"
        )
        session.add(user)
        session.flush()
        contents = [new_id() for _ in range(count)]
        session.execute(
            insert(Content),
            [
                {"id": c, "owner_id": user.id, "kind": "sermon", "title": "Bench",
                 "status": "processing", "visibility": "private", "generation": 1,
                 "media_type": "audio", "duration": 60.0}
                for c in contents
            ],
        )  # fmt: skip
        sent = [messages.message(STEP, new_id()) for _ in contents]
        now = utcnow()
        done = {"status": "succeeded", "attempts": 1, "progress": 1.0, "finished_at": now}
        rows = [
            {"id": new_id(), "content_id": c, "step": step, "generation": 1, "queue": queue,
             "max_attempts": 3, "queued_at": now, "started_at": now, "result": earlier[step],
             **done}
            for c in contents
            for step, queue in (("probe", "media"), ("encode_audio", "transcode"),
                                ("transcribe", "io"))
        ]  # fmt: skip
        rows += [
            {"id": m.args[0], "content_id": c, "step": STEP, "generation": 1, "queue": QUEUE,
             "status": "queued", "attempts": 0, "max_attempts": 3, "progress": 0.0,
             "message_id": m.message_id, "queued_at": now}
            for c, m in zip(contents, sent, strict=True)
        ]  # fmt: skip
        session.execute(insert(Job), rows)
    # As autovacuum keeps them on a database in use: these rows arrived in one burst.
    with autocommit() as connection:
        connection.execute(text("ANALYZE jobs, content"))
    return sent


def _ticks(pid_filter: Any) -> dict[int, int]:
    """CPU clock ticks (user + system) of this machine's processes `pid_filter` accepts."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="ignore")
            if not pid_filter(cmdline):
                continue
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        found[int(entry.name)] = int(fields[11]) + int(fields[12])
    return found


class Servers:
    """CPU used by the bench database's PostgreSQL backends and by the Redis server."""

    def __init__(self, database: str) -> None:
        self.filters = {
            "PostgreSQL": lambda cmd: cmd.startswith("postgres:") and f" {database} " in cmd,
            "Redis": lambda cmd: cmd.startswith("redis-server"),
        }
        self.before = {name: _ticks(f) for name, f in self.filters.items()}

    def per_step_ms(self, count: int) -> dict[str, float]:
        tick = os.sysconf("SC_CLK_TCK")
        spent = {}
        for name, pid_filter in self.filters.items():
            after, before = _ticks(pid_filter), self.before[name]
            if after:
                ticks = sum(t - before.get(pid, 0) for pid, t in after.items())
                spent[name] = ticks / tick / count * 1000
        return spent


def _broker() -> Any:
    """The process's Redis broker (typed Any: `join`'s `interval` is the Redis broker's own)."""
    import dramatiq

    return dramatiq.get_broker()


def _worker() -> Any:
    import dramatiq

    return dramatiq.Worker(_broker(), queues={QUEUE}, worker_threads=THREADS)


def _send(sent: list[Any]) -> None:
    from workers import messages

    for message in sent:
        messages.enqueue(message)


def _drain() -> float:
    """Run a worker until Redis holds no message of the queue (each acked, so its success is
    committed); returns the wall time from the worker's start."""
    worker = _worker()
    started = time.perf_counter()
    worker.start()
    try:
        _broker().join(QUEUE, interval=20, timeout=600_000)
        return time.perf_counter() - started
    finally:
        worker.stop()


class CpuPerStep(NamedTuple):
    steps: int
    wall_s: float
    worker_ms: float
    servers_ms: dict[str, float]


def measure_cpu(earlier: dict[str, dict[str, Any]], database: str) -> CpuPerStep:
    _send(_seed(WARM_UP, earlier))
    _drain()  # modules imported, pools and scripts loaded
    sent = _seed(STEPS, earlier)
    servers = Servers(database)  # Redis's figure includes each step's enqueue
    _send(sent)
    cpu = time.process_time()
    wall = _drain()
    cpu = time.process_time() - cpu
    servers_ms = servers.per_step_ms(STEPS)
    _check_succeeded({m.args[0] for m in sent})
    return CpuPerStep(STEPS, wall, cpu / STEPS * 1000, servers_ms)


def _check_succeeded(job_ids: set[str]) -> None:
    """Every step succeeded and planned its publish: the figures are of the path meant."""
    from sqlalchemy import func, select

    from models import Job
    from workers.db import session_scope

    with session_scope() as session:
        done = session.scalar(
            select(func.count()).where(Job.id.in_(job_ids), Job.status == "succeeded")
        )
        planned = session.scalar(
            select(func.count())
            .select_from(Job)
            .where(
                Job.step == "publish",
                Job.content_id.in_(select(Job.content_id).where(Job.id.in_(job_ids))),
            )
        )
    if done != len(job_ids) or planned != len(job_ids):
        raise SystemExit(
            f"of {len(job_ids)} steps, {done} succeeded and {planned} planned their publish"
        )


class Latency(NamedTuple):
    p50_ms: float
    p99_ms: float
    claim_p50_ms: float  # enqueue to the claim's started_at


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def measure_latency(earlier: dict[str, dict[str, Any]]) -> Latency:
    """Send one step at a time to an idle worker, after a pause long enough for its poll to
    back off to the idle timeout (Dramatiq's backoff reaches 20 ms within tens of ms)."""
    from sqlalchemy import select

    from models import Job
    from workers import messages
    from workers.db import session_scope

    sent = _seed(SAMPLES, earlier)
    enqueued: dict[str, float] = {}
    worker = _worker()
    worker.start()
    try:
        for message in sent:
            job_id = message.args[0]
            ARRIVED[job_id] = threading.Event()
            time.sleep(random.uniform(0.1, 0.35))
            enqueued[job_id] = time.time()
            messages.enqueue(message)
            if not ARRIVED[job_id].wait(10):
                raise SystemExit(f"step {job_id} did not start within 10 s")
        _broker().join(QUEUE, interval=20, timeout=60_000)
    finally:
        worker.stop()
    with session_scope() as session:
        claimed = dict(
            session.execute(select(Job.id, Job.started_at).where(Job.id.in_(list(enqueued))))
            .tuples()
            .all()
        )
    waits = [(STARTED[j] - enqueued[j]) * 1000 for j in enqueued]
    to_claim = [
        (started.timestamp() - enqueued[j]) * 1000
        for j in enqueued
        if (started := claimed.get(j)) is not None
    ]
    return Latency(statistics.median(waits), _percentile(waits, 0.99), statistics.median(to_claim))


def run() -> None:
    """The measurement, in a process whose environment names the throwaway database."""
    import logging

    import dramatiq
    from msgspec.structs import replace

    from models.migrate import upgrade
    from pipelines.plans import STEPS as STEP_TABLE
    from settings import get_settings

    logging.basicConfig(level=logging.WARNING)
    # Each measurement starts a new Worker on the one broker, which Dramatiq warns about.
    logging.getLogger("dramatiq").setLevel(logging.ERROR)
    settings = get_settings()
    upgrade(settings.sync_database_url)
    STEP_TABLE[STEP] = replace(STEP_TABLE[STEP], function=NOOP)
    import workers.actors  # noqa: F401  (the real actors and middleware)

    dramatiq.get_broker().emit_after("process_boot")  # as the `dramatiq` command does
    threading.current_thread().name = "bench"
    earlier = _earlier_results(Path(settings.data_dir) / "earlier")
    database = settings.sync_database_url.rsplit("/", 1)[1]
    cpu = measure_cpu(earlier, database)
    latency = measure_latency(earlier)
    print(
        f"job core, no-op `{STEP}` steps through the real actors and middleware: one in-process "
        f"worker, {THREADS} threads, idle poll {IDLE_POLL_MS} ms (the Procfile's worker-io), "
        "real Redis + PostgreSQL"
    )
    servers = "".join(f", {name} {ms:.2f} ms" for name, ms in cpu.servers_ms.items())
    print(
        f"  CPU per step outside the pipeline function, {cpu.steps} steps "
        f"({cpu.wall_s:.1f} s, {cpu.steps / cpu.wall_s:.0f} steps/s): worker process "
        f"{cpu.worker_ms:.2f} ms (goal <= {GOAL_CPU_MS:.0f} ms){servers}"
    )
    print(
        f"  enqueue-to-start, idle worker, {SAMPLES} steps one at a time: p50 "
        f"{latency.p50_ms:.1f} ms, p99 {latency.p99_ms:.1f} ms (goal p99 < {GOAL_P99_MS:.0f} ms);"
        f" enqueue to the claim's started_at p50 {latency.claim_p50_ms:.1f} ms"
    )


@contextlib.contextmanager
def _signals(handler: Any) -> Iterator[None]:
    """SIGINT and SIGTERM handled by `handler` inside the block (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    import psycopg

    from bench.platform_bench import _kill_strays
    from bench.storage_bench import _forget_messages

    admin_url = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
    run_id = secrets.token_hex(4)
    database = f"cnt_bench_{run_id}"
    data_dir = Path(tempfile.mkdtemp(prefix="cnt-jobs-bench-"))
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("S3_", "CLOUDFRONT_", "STORAGE_", "DATABASE_"))
    }
    env.update(
        {
            "ENV": "test",
            "LOG_LEVEL": "WARNING",
            "DATA_DIR": str(data_dir),
            "DATABASE_URL": f"{base}/{database}",
            "BROKER_NAMESPACE": f"cnt-bench-{run_id}",
            "JWT_SECRET": secrets.token_urlsafe(48),
            "CDN_SIGNING_SECRET": secrets.token_urlsafe(48),
            "PYTHONPATH": str(ROOT),
            # The Procfile's worker-io: its idle poll; metrics on (the bench serves no port:
            # the exporter is a fork of the `dramatiq` command, which this bench does not run).
            "dramatiq_worker_timeout": str(IDLE_POLL_MS),
            "WORKER_METRICS_PORT": "9291",
        }
    )
    # A SIGTERM unwinds like Ctrl-C (subprocess.run then kills the child); neither interrupts
    # the cleanup.
    with _signals(_raise_interrupt):
        created = False
        try:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{database}"')
            created = True
            subprocess.run(
                [sys.executable, "-c", "from bench.jobs_bench import run; run()"],
                env=env,
                cwd=ROOT,
                check=True,
            )
        finally:
            with _signals(signal.SIG_IGN):
                _kill_strays(data_dir)  # an ffmpeg of _earlier_results, when interrupted
                if created:
                    with psycopg.connect(admin_url, autocommit=True) as conn:
                        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                _forget_messages(env)
                shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
