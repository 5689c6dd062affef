"""Workers export Prometheus metrics: messages by queue and outcome, step durations, CPU seconds
per media minute, queue depths, jobs by status."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import free_port, wait_for_status
from tests.jobs.conftest import upload, wait_until

TOKEN = "scrape-secret"


def _scrape(port: int) -> str:
    try:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        return httpx.get(f"http://127.0.0.1:{port}/metrics", headers=headers, timeout=2).text
    except httpx.HTTPError:
        return ""


def test_a_worker_process_exports_step_and_queue_metrics(
    client, accounts, worker_processes, tone_m4a: Path
) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    worker_processes(
        ["transcode", "media", "io", "default"], WORKER_METRICS_PORT=str(port), METRICS_TOKEN=TOKEN
    )
    headers = accounts.auth(accounts.make("creator"))
    content_id = upload(client, headers, tone_m4a)
    assert wait_for_status(client, content_id, headers, {"ready", "failed"})["status"] == "ready"

    text = wait_until(
        lambda: (t := _scrape(port)) and "cnt_step_cpu_seconds_total" in t and t, what="metrics"
    )
    assert (
        'cnt_worker_messages_total{actor="encode_audio",outcome="succeeded",queue="transcode"}'
        in text
    )
    assert 'cnt_step_duration_seconds_count{outcome="succeeded",step="probe"}' in text
    assert 'cnt_step_cpu_seconds_per_media_minute_count{step="encode_audio"}' in text
    assert 'cnt_queue_messages{queue="transcode",state="ready"}' in text
    assert 'cnt_jobs{queue="transcode",status="succeeded"}' in text
    # Without the token (METRICS_TOKEN) the exporter refuses.
    assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).status_code == 401
