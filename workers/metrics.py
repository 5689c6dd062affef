"""Prometheus metrics of the workers: messages by queue and outcome, step durations, CPU seconds
per media minute by step, and (read at scrape time) queue depths and jobs by status.

Each `dramatiq` command forks one exporter on WORKER_METRICS_PORT that serves every worker
process of that command through prometheus_client's multiprocess mode (a folder of mmap files
per command, keyed by the command's pid). Dramatiq's own Prometheus middleware would do part of
this, but it needs prometheus_client imported after its env var is set, knows nothing of steps,
and binds one fixed port, which breaks `honcho start -c worker-transcode=4`.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import shutil
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware

from settings import get_settings

log = logging.getLogger(__name__)

# Seconds: a probe takes a second, a two-hour service's encode an hour.
DURATION_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400)
CPU_PER_MINUTE_BUCKETS = (0.5, 1, 2, 5, 10, 20, 40, 60, 120, 240, 480)


def metrics_dir(master_pid: int) -> Path:
    return Path(get_settings().data_dir) / "metrics" / str(master_pid)


class _Metrics:
    """The metric objects, made in a worker process once multiprocess mode is on."""

    def __init__(self) -> None:
        import prometheus_client as prom

        self.messages = prom.Counter(
            "cnt_worker_messages_total",
            "Messages processed, by queue, actor and outcome.",
            ["queue", "actor", "outcome"],
        )
        self.in_progress = prom.Gauge(
            "cnt_worker_messages_in_progress",
            "Messages being processed now.",
            ["queue"],
            multiprocess_mode="livesum",
        )
        self.step_seconds = prom.Histogram(
            "cnt_step_duration_seconds",
            "Wall time of one step attempt, by step and outcome.",
            ["step", "outcome"],
            buckets=DURATION_BUCKETS,
        )
        self.cpu_seconds = prom.Counter(
            "cnt_step_cpu_seconds_total", "CPU seconds spent by succeeded steps.", ["step"]
        )
        self.media_seconds = prom.Counter(
            "cnt_step_media_seconds_total",
            "Seconds of media processed by succeeded steps.",
            ["step"],
        )
        self.cpu_per_media_minute = prom.Histogram(
            "cnt_step_cpu_seconds_per_media_minute",
            "CPU seconds per minute of media, per succeeded step.",
            ["step"],
            buckets=CPU_PER_MINUTE_BUCKETS,
        )


_metrics: _Metrics | None = None


def enable_multiprocess(folder: Path) -> None:
    """Point prometheus_client at `folder`, whatever imported it first."""
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    from prometheus_client import values

    values.ValueClass = values.MultiProcessValue()


def record_step(step: str, cpu_seconds: float, media_seconds: float) -> None:
    """Called by a step that succeeded; a no-op outside a metered worker process."""
    if _metrics is None:
        return
    _metrics.cpu_seconds.labels(step).inc(cpu_seconds)
    _metrics.media_seconds.labels(step).inc(media_seconds)
    if media_seconds > 0:
        _metrics.cpu_per_media_minute.labels(step).observe(cpu_seconds / (media_seconds / 60))


class WorkerMetrics(Middleware):
    """Counts messages and times steps in each worker process of a `dramatiq` command."""

    def __init__(self, step_names: set[str]) -> None:
        self.step_names = step_names
        self.started: dict[str, float] = {}

    @property
    def forks(self) -> list[Any]:
        return [serve_metrics] if get_settings().worker_metrics_port else []

    def after_process_boot(self, broker: dramatiq.Broker) -> None:
        global _metrics
        if not get_settings().worker_metrics_port:
            return
        enable_multiprocess(metrics_dir(os.getppid()))
        _metrics = _Metrics()

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        if _metrics is not None:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid())

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        if _metrics is not None:
            self.started[message.message_id] = time.monotonic()
            _metrics.in_progress.labels(message.queue_name).inc()

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        outcome = "succeeded" if exception is None else "failed" if message.failed else "retried"
        self._done(message, outcome)

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self._done(message, "skipped")

    def _done(self, message: Any, outcome: str) -> None:
        started = self.started.pop(message.message_id, None)
        if _metrics is None:
            return
        queue = message.queue_name.removesuffix(".DQ")
        _metrics.messages.labels(queue, message.actor_name, outcome).inc()
        if started is not None:
            _metrics.in_progress.labels(queue).dec()
            if message.actor_name in self.step_names:
                elapsed = time.monotonic() - started
                _metrics.step_seconds.labels(message.actor_name, outcome).observe(elapsed)


class _StateCollector:
    """Queue depths from Redis and jobs by status from the database, read when scraped."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        from workers.queues import queue_depths

        depth = GaugeMetricFamily(
            "cnt_queue_messages",
            "Messages in the broker, by queue and state.",
            labels=["queue", "state"],
        )
        with contextlib.suppress(Exception):  # Redis down: no sample rather than a failed scrape
            for d in queue_depths():
                for state in ("ready", "in_flight", "delayed", "dead_letters"):
                    depth.add_metric([d.queue, state], getattr(d, state))
        yield depth
        jobs = GaugeMetricFamily(
            "cnt_jobs", "Jobs by queue and status.", labels=["queue", "status"]
        )
        with contextlib.suppress(Exception):
            for queue, status, count in _job_counts():
                jobs.add_metric([queue, status], count)
        yield jobs


def _job_counts() -> list[tuple[str, str, int]]:
    from sqlalchemy import func, select

    from models import Job
    from workers.db import session_scope

    with session_scope() as session:
        rows = session.execute(
            select(Job.queue, Job.status, func.count()).group_by(Job.queue, Job.status)
        ).all()
    return [(q, s, int(n)) for q, s, n in rows]


def bearer_matches(header: str | None, token: str) -> bool:
    """Whether an Authorization header carries `token` (compared in constant time)."""
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode())


def serve_metrics() -> int:
    """The exporter (a fork of the `dramatiq` command): serves until the command stops."""
    settings = get_settings()
    folder = metrics_dir(os.getppid())
    _remove_dead_folders(folder.parent)
    enable_multiprocess(folder)
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(folder))
    registry.register(_StateCollector())  # type: ignore[arg-type]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if settings.metrics_token and not bearer_matches(
                self.headers.get("Authorization"), settings.metrics_token
            ):
                self.send_error(401, "metrics need the bearer token set in METRICS_TOKEN")
                return
            body = generate_latest(registry)
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE_LATEST)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            return None

    server = ThreadingHTTPServer(
        (settings.worker_metrics_host, settings.worker_metrics_port), Handler
    )
    log.info("worker metrics on http://%s:%d/metrics", *server.server_address[:2])
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


def _remove_dead_folders(parent: Path) -> None:
    """Folders of `dramatiq` commands that are gone (their pid no longer runs)."""
    if not parent.is_dir():
        return
    for folder in parent.iterdir():
        if folder.name.isdigit() and not _alive(int(folder.name)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
