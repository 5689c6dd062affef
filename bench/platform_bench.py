"""What a creator waits for: an accepted upload of a 60-minute sermon to `ready`, through the
whole platform, against `cnt media process` on the same file in the same run.

The platform is the Procfile's `web`, `worker-transcode` and `worker-io` lines, started as the
Procfile starts them (`sh -c` each line, with PORT/WEB_PORT assigned as honcho would), on a
throwaway PostgreSQL database, a throwaway Redis namespace and local storage in a throwaway
DATA_DIR. The sermon is the MP3 bench/pipelines_bench.py generates (once, into var/bench or
$CNT_BENCH_DIR). After a 1-minute warm-up upload (a platform in service has its modules
imported and its pools open), the bench uploads the sermon with PUT /api/v1/content/{id}/source
as a creator and takes the time from the PUT's answer (202) to the content's `ready` event on
GET /api/v1/content/{id}/events. Then, with the platform stopped, it times
`cnt media process FILE --out DIR` on the same file.

Prints both walls and their ratio (goal: platform <= 1.10x), then each step's times from its job
row (queued, started, finished: from the upload's acceptance) and the time between a step's start
and the end of what it waited for: queueing and bookkeeping, the platform's cost over the CLI.

Run: `make bench`, `python -m bench platform`, or `python bench/platform_bench.py`.
PLATFORM_BENCH_MINUTES (default 60) shrinks the sermon for a quick look. Needs PostgreSQL
(TEST_PG_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/test) and Redis (REDIS_URL).
Not a test: figures depend on the machine, which should be otherwise idle.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pipelines_bench import make_sermon  # noqa: E402
from bench.storage_bench import _forget_messages, _free_port, _prepare  # noqa: E402

# The Procfile's lines this bench starts; `release` is what _prepare runs (migrations).
PROCESSES = ("web", "worker-transcode", "worker-io")
WORKERS = ("worker-transcode", "worker-io")
WORKER_READY = "Worker process is ready for action."
# The creator storage_bench._prepare makes.
EMAIL, PASSWORD = "bench@church.test", "a-good-long-password"
WARM_UP_MINUTES = 1
STOP_GRACE_S = 10.0
BIN = Path(sys.executable).parent


class BenchFailed(Exception):
    pass


def _seconds(stamp: str | None) -> float | None:
    """An API timestamp as seconds since the epoch (same machine, same clock as time.time())."""
    return datetime.fromisoformat(stamp).timestamp() if stamp else None


class Platform:
    """The Procfile's processes on throwaway state; `stop` leaves nothing behind."""

    def __init__(self, work: Path, admin_url: str) -> None:
        run_id = secrets.token_hex(4)
        self.work = work
        self.admin_url = admin_url
        self.database = f"cnt_bench_{run_id}"
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.logs = work / "logs"
        base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("S3_", "CLOUDFRONT_", "STORAGE_", "DATABASE_", "WORKER_METRICS"))
        }
        env.update(
            {
                "ENV": "development",
                "LOG_LEVEL": "WARNING",
                "DATA_DIR": str(work / "var"),
                "DATABASE_URL": f"{base}/{self.database}",
                "BROKER_NAMESPACE": f"cnt-bench-{run_id}",
                "PUBLIC_BASE_URL": self.base_url,
                "JWT_SECRET": secrets.token_urlsafe(48),
                "CDN_SIGNING_SECRET": secrets.token_urlsafe(48),
                "TRANSCRIPTION_PROVIDER": "none",
                "PYTHONPATH": str(ROOT),
                # The Procfile names uvicorn, dramatiq and cnt: this interpreter's.
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                "HOST": "127.0.0.1",
                "WEB_PORT": str(self.port),
            }
        )
        self.env = env
        self.created = False

    def start(self) -> None:
        import psycopg
        from honcho.environ import parse_procfile

        self.logs.mkdir(parents=True, exist_ok=True)
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        self.created = True
        _prepare(self.env)  # migrations (the Procfile's release) and the creator
        lines = parse_procfile((ROOT / "Procfile").read_text()).processes
        for name in PROCESSES:
            # As honcho does: the line through the shell, with a PORT of its own (the workers'
            # metrics), in a session of its own so a Ctrl-C reaches it only through `stop`.
            env = {**self.env, "PORT": str(_free_port())}
            with open(self.logs / f"{name}.log", "wb") as log:
                self.processes[name] = subprocess.Popen(
                    ["/bin/sh", "-c", lines[name]],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 90) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        waiting = {"web", *WORKERS}
        while waiting and time.monotonic() < deadline:
            self.check()
            for name in WORKERS:
                if name in waiting and WORKER_READY in self.log_of(name):
                    waiting.discard(name)
            if "web" in waiting:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                        waiting.discard("web")
            time.sleep(0.2)
        if waiting:
            raise BenchFailed(f"not ready after {timeout:.0f} s: {', '.join(sorted(waiting))}")

    def log_of(self, name: str) -> str:
        try:
            return (self.logs / f"{name}.log").read_text(errors="replace")
        except OSError:
            return ""

    def check(self) -> None:
        """Raise, with its log's tail, when a process of the platform has exited."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                tail = "\n".join(self.log_of(name).splitlines()[-30:])
                raise BenchFailed(f"{name} exited with {process.returncode}:\n{tail}")

    def stop(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL after a grace), their ffmpegs, then drop
        the database and the Redis namespace. Safe to call after a failed or partial start."""
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            # The group's other members (the dramatiq worker and metrics processes) too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        _kill_strays(self.work)
        if self.created:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        _forget_messages(self.env)


def _kill_strays(folder: Path) -> None:
    """SIGKILL what still runs inside `folder`: ffmpeg runs in its own session (so the worker's
    group kill misses it) with its working directory in the attempt's folder."""
    inside = str(folder.resolve())
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError):
            cwd = os.readlink(proc / "cwd")
            if cwd == inside or cwd.startswith(f"{inside}/"):
                os.kill(int(proc.name), signal.SIGKILL)


class ContentEvents(threading.Thread):
    """Reads a content's Server-Sent Events until it is `ready` or `failed`: when, and which."""

    def __init__(self, base_url: str, token: str, content_id: str) -> None:
        super().__init__(daemon=True, name="content-events")
        self.url = f"{base_url}/api/v1/content/{content_id}/events"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.opened = threading.Event()
        self.ended = threading.Event()
        self.status: str | None = None
        self.at: float | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        import httpx

        try:
            with (
                httpx.Client(timeout=httpx.Timeout(10.0, read=None)) as client,
                client.stream("GET", self.url, headers=self.headers) as response,
            ):
                response.raise_for_status()
                self.opened.set()
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    event = json.loads(line[5:])
                    if event.get("type") == "content" and event.get("status") in (
                        "ready",
                        "failed",
                    ):
                        self.at, self.status = time.time(), str(event["status"])
                        self.ended.set()
                        return
            self.error = EOFError("the event stream ended before ready")
        except BaseException as exc:  # the waiter polls instead
            self.error = exc
        finally:
            self.opened.set()


class Upload:
    """One sermon sent through the platform's API as a creator."""

    def __init__(self, platform: Platform, source: Path) -> None:
        import httpx

        self.platform = platform
        self.source = source
        self.http = httpx.Client(base_url=f"{platform.base_url}/api/v1", timeout=120)
        self.login()
        created = self.http.post("/content", json={"title": f"Bench: {source.stem}"})
        self.content_id = str(created.raise_for_status().json()["id"])

    def login(self) -> str:
        self.http.headers.pop("Authorization", None)
        answer = self.http.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
        token = str(answer.raise_for_status().json()["access_token"])
        self.http.headers["Authorization"] = f"Bearer {token}"
        return token

    def content(self) -> dict[str, Any]:
        answer = self.http.get(f"/content/{self.content_id}")
        if answer.status_code == 401:  # a long run outlives an access token
            self.login()
            answer = self.http.get(f"/content/{self.content_id}")
        state: dict[str, Any] = answer.raise_for_status().json()
        return state

    def send(self, timeout: float) -> tuple[float, float, str]:
        """PUT the source and wait for `ready`: (accepted, ready) as time.time() and how `ready`
        was seen (the event, or a poll when the event stream broke)."""
        token = self.http.headers["Authorization"].removeprefix("Bearer ")
        events = ContentEvents(self.platform.base_url, token, self.content_id)
        events.start()
        events.opened.wait(10)
        if events.error is not None:
            raise BenchFailed(f"the event stream did not open: {events.error!r}")
        with open(self.source, "rb") as body:
            answer = self.http.put(
                f"/content/{self.content_id}/source",
                content=body,
                headers={"X-Filename": self.source.name},
            )
        accepted = time.time()
        if answer.status_code != 202:
            raise BenchFailed(f"upload refused: {answer.status_code} {answer.text}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if events.ended.wait(5 if events.error is None else 0.5):
                break
            self.platform.check()
            if events.error is not None:  # fall back to polling, as precise as its period
                status = self.content()["status"]
                if status in ("ready", "failed"):
                    events.at, events.status = time.time(), status
                    break
        else:
            raise BenchFailed(f"{self.source.name} was not ready after {timeout:.0f} s")
        if events.status != "ready" or events.at is None:
            raise BenchFailed(f"{self.source.name} failed: {self.content().get('error')}")
        return accepted, events.at, "the ready event" if events.error is None else "polling"

    def settle(self, timeout: float = 120) -> dict[str, Any]:
        """Wait until no job of the content is queued or running (the steps after `ready`)."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.content()
            if all(job["status"] not in ("queued", "running") for job in state["jobs"]):
                return state
            if time.monotonic() > deadline:
                raise BenchFailed("the steps after ready did not end")
            self.platform.check()
            time.sleep(0.5)

    def close(self) -> None:
        self.http.close()


def _run_cli(source: Path, out: Path, env: dict[str, str]) -> tuple[float, dict[str, float]]:
    """`cnt media process FILE --out DIR`: its wall, and each step's wall as it reports them."""
    started = time.monotonic()
    process = subprocess.Popen(
        [str(BIN / "cnt"), "media", "process", str(source), "--out", str(out)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _, stderr = process.communicate()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    wall = time.monotonic() - started
    text = stderr.decode(errors="replace")
    if process.returncode != 0:
        raise BenchFailed(f"cnt media process failed ({process.returncode}):\n{text[-3000:]}")
    steps = {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"^(\w+): ([\d.]+) s, CPU", text, flags=re.MULTILINE)
    }
    return wall, steps


def _report(
    minutes: int,
    source: Path,
    platform_s: float,
    cli_s: float,
    cli_steps: dict[str, float],
    jobs: list[dict[str, Any]],
    accepted: float,
    ready: float,
    seen_by: str,
) -> None:
    from pipelines.plans import PLANS, READY_STEP

    after = {spec.name: spec.after for spec in PLANS["audio"]}
    rows = {}
    for job in jobs:
        times = [_seconds(job[k]) for k in ("queued_at", "started_at", "finished_at")]
        rows[job["step"]] = [None if t is None else t - accepted for t in times]
    print(
        f"{minutes}-minute sermon ({source.name}, {source.stat().st_size / 2**20:.0f} MiB), "
        f"{os.cpu_count()} cores"
    )
    rest = cli_s - sum(cli_steps.values())
    reported = ", ".join(f"{step} {wall:.1f} s" for step, wall in cli_steps.items())
    print(
        f"  cnt media process FILE --out DIR: {cli_s:8.1f} s  (start-up and probe {rest:.1f} s, "
        f"then one step after another: {reported})"
    )
    print(f"  platform, accepted upload -> ready: {platform_s:6.1f} s  (ready seen by {seen_by})")
    print(f"  platform / cnt media process: {platform_s / cli_s:.2f}x (goal <= 1.10x)")
    print("  the platform's steps, from their job rows (s after the upload was accepted):")
    print(
        f"    {'step':14}{'queued':>9}{'started':>9}{'finished':>10}{'wall':>9}"
        f"{'after its inputs':>18}{'CLI wall':>10}"
    )

    def cell(value: float | None, width: int) -> str:
        return f"{value:{width}.2f}" if value is not None else f"{'-':>{width}}"

    def waited(step: str) -> float | None:
        """From the end of what the step waited for (the acceptance, for the first) to its start."""
        started = rows[step][1]
        ends = [rows[dep][2] for dep in after.get(step, ()) if dep in rows]
        if started is None or None in ends:
            return None
        return started - max([0.0, *(e for e in ends if e is not None)])

    for step, (queued, started, finished) in sorted(
        rows.items(), key=lambda item: item[1][1] if item[1][1] is not None else float("inf")
    ):
        wall = finished - started if finished is not None and started is not None else None
        print(
            f"    {step:14}{cell(queued, 9)}{cell(started, 9)}{cell(finished, 10)}"
            f"{cell(wall, 9)}{cell(waited(step), 18)}{cell(cli_steps.get(step), 10)}"
        )
    # The critical path: from the ready step back through whichever input ended last.
    path = [READY_STEP]
    while after.get(path[0]):
        inputs = [dep for dep in after[path[0]] if dep in rows and rows[dep][2] is not None]
        if not inputs:
            break
        path.insert(0, max(inputs, key=lambda dep: rows[dep][2] or 0.0))
    if all(rows.get(step, [None])[-1] is not None for step in path):
        working = sum((rows[s][2] or 0.0) - (rows[s][1] or 0.0) for s in path)
        publish_end = rows[READY_STEP][2] or 0.0
        print(
            f"    ready event   {'':>27}{ready - accepted:10.2f}"
            f"{'':9}{ready - accepted - publish_end:18.2f}"
        )
        between = platform_s - working
        print(
            f"  critical path {' -> '.join(path)}: steps {working:.2f} s, between them "
            f"{between:.2f} s (queueing + bookkeeping, {between / platform_s:.1%} of the wait)"
        )


def _wait_s(minutes: int) -> float:
    return 300.0 + minutes * 60.0


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


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


def _measure_platform(platform: Platform, sermon: Path, warm_up: Path, minutes: int) -> Any:
    platform.start()
    print(f"platform up on {platform.base_url} (database {platform.database})", flush=True)
    first = Upload(platform, warm_up)
    first.send(_wait_s(WARM_UP_MINUTES))
    first.settle()
    first.close()
    upload = Upload(platform, sermon)
    accepted, ready, seen_by = upload.send(_wait_s(minutes))
    jobs = upload.settle()["jobs"]
    upload.close()
    return accepted, ready, seen_by, jobs


def main() -> None:
    minutes = int(os.environ.get("PLATFORM_BENCH_MINUTES", "60"))
    admin_url = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
    root = Path(os.environ.get("CNT_BENCH_DIR", str(ROOT / "var" / "bench"))).resolve()
    sermon = make_sermon(root, minutes)
    warm_up = make_sermon(root, WARM_UP_MINUTES)
    work = root / f"platform-{secrets.token_hex(4)}"
    # A SIGTERM (a supervisor, `timeout`) unwinds like Ctrl-C; neither interrupts the cleanup.
    with _signals(_raise_interrupt):
        platform = Platform(work, admin_url)
        try:
            try:
                accepted, ready, seen_by, jobs = _measure_platform(
                    platform, sermon, warm_up, minutes
                )
            except BaseException:
                for name in platform.processes:
                    tail = platform.log_of(name).splitlines()[-15:]
                    if tail:
                        print(f"--- {name} log, last lines ---", *tail, sep="\n", file=sys.stderr)
                raise
            finally:
                with _signals(signal.SIG_IGN):
                    platform.stop()
            os.sync()  # the platform's written pages do not land on the CLI's run
            cli_s, cli_steps = _run_cli(sermon, work / "cli-out", platform.env)
        finally:
            with _signals(signal.SIG_IGN):
                _kill_strays(work)
                shutil.rmtree(work, ignore_errors=True)
    _report(minutes, sermon, ready - accepted, cli_s, cli_steps, jobs, accepted, ready, seen_by)


if __name__ == "__main__":
    main()
