"""The admin API: only admins see or change jobs; lists filter and page; retries and cancels
follow the rules a volunteer would expect."""

from __future__ import annotations

from datetime import timedelta

import pytest

ADMIN_ENDPOINTS = [
    ("GET", "/api/v1/admin/jobs"),
    ("GET", "/api/v1/admin/jobs/some-job"),
    ("POST", "/api/v1/admin/jobs/some-job/retry"),
    ("POST", "/api/v1/admin/jobs/retry"),
    ("POST", "/api/v1/admin/jobs/some-job/cancel"),
    ("GET", "/api/v1/admin/queues"),
]


def _content_with_jobs(owner_id: str, statuses: dict[str, str], generation: int = 1) -> str:
    from models import Content, Job, utcnow
    from workers.db import session_scope

    with session_scope() as session:
        content = Content(
            owner_id=owner_id, kind="sermon", title="Advent", status="failed", visibility="private",
            generation=generation, source_key="sources/x/a.m4a", media_type="audio",
        )  # fmt: skip
        session.add(content)
        session.flush()
        for i, (step, status) in enumerate(statuses.items()):
            session.add(
                Job(
                    content_id=content.id,
                    step=step,
                    generation=generation,
                    queue="media",
                    status=status,
                    attempts=3 if status == "dead" else 1,
                    error="boom" if status in ("failed", "dead") else None,
                    log_tail="[aac] frame 12: invalid data" if status == "failed" else None,
                    queued_at=utcnow() - timedelta(minutes=10 - i),
                )  # fmt: skip
            )
        return str(content.id)


@pytest.mark.parametrize(("method", "path"), ADMIN_ENDPOINTS)
def test_every_admin_endpoint_is_refused_to_a_creator_and_to_anonymous(
    client, accounts, method, path
) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    body = {"json": {}} if method == "POST" else {}
    anonymous = client.request(method, path, **body)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"
    refused = client.request(method, path, headers=accounts.auth(creator), **body)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


def test_reprocess_is_refused_to_anonymous_and_to_another_creator(client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner, other = accounts.make("creator"), accounts.make("creator")
    content_id = _content_with_jobs(owner["id"], {"probe": "succeeded"})
    path = f"/api/v1/content/{content_id}/reprocess"
    assert client.post(path).status_code in (401, 404)
    assert client.post(path, headers=accounts.auth(other)).status_code in (403, 404)


def test_admin_lists_jobs_newest_first_filtered_and_paged(client, accounts) -> None:  # type: ignore[no-untyped-def]
    admin = accounts.make("admin")
    headers = accounts.auth(admin)
    first = _content_with_jobs(
        admin["id"], {"probe": "succeeded", "encode_audio": "failed", "waveform": "dead"}
    )
    _content_with_jobs(admin["id"], {"probe": "failed"})

    everything = client.get("/api/v1/admin/jobs", headers=headers).json()
    assert everything["total"] == 4
    times = [job["queued_at"] for job in everything["jobs"]]
    assert times == sorted(times, reverse=True)

    failed = client.get("/api/v1/admin/jobs", params={"status": "failed"}, headers=headers).json()
    assert {job["step"] for job in failed["jobs"]} == {"encode_audio", "probe"}
    one = client.get(
        "/api/v1/admin/jobs",
        params={"status": "failed", "step": "encode_audio", "content_id": first},
        headers=headers,
    ).json()
    assert [job["step"] for job in one["jobs"]] == ["encode_audio"]

    page = client.get("/api/v1/admin/jobs", params={"limit": 3}, headers=headers).json()
    assert len(page["jobs"]) == 3 and page["next_offset"] == 3
    rest = client.get(
        "/api/v1/admin/jobs", params={"limit": 3, "offset": 3}, headers=headers
    ).json()
    assert len(rest["jobs"]) == 1 and rest["next_offset"] is None

    bad = client.get("/api/v1/admin/jobs", params={"status": "exploded"}, headers=headers)
    assert bad.status_code == 422


def test_job_detail_shows_the_error_and_the_log_tail(client, accounts) -> None:  # type: ignore[no-untyped-def]
    admin = accounts.make("admin")
    headers = accounts.auth(admin)
    content_id = _content_with_jobs(admin["id"], {"encode_audio": "failed"})
    listed = client.get(
        "/api/v1/admin/jobs", params={"content_id": content_id}, headers=headers
    ).json()
    detail = client.get(f"/api/v1/admin/jobs/{listed['jobs'][0]['id']}", headers=headers).json()
    assert detail["error"] == "boom" and "invalid data" in detail["log_tail"]
    assert client.get("/api/v1/admin/jobs/nope", headers=headers).status_code == 404


def test_retry_and_cancel_refuse_jobs_in_the_wrong_state(client, accounts) -> None:  # type: ignore[no-untyped-def]
    admin = accounts.make("admin")
    headers = accounts.auth(admin)
    content_id = _content_with_jobs(admin["id"], {"probe": "succeeded"})
    job = client.get(
        "/api/v1/admin/jobs", params={"content_id": content_id}, headers=headers
    ).json()["jobs"][0]
    retried = client.post(f"/api/v1/admin/jobs/{job['id']}/retry", headers=headers)
    assert retried.status_code == 409 and "succeeded" in retried.json()["detail"]
    cancelled = client.post(f"/api/v1/admin/jobs/{job['id']}/cancel", headers=headers)
    assert cancelled.status_code == 409


def test_queue_depths_name_every_queue(client, accounts) -> None:  # type: ignore[no-untyped-def]
    admin = accounts.make("admin")
    queues = client.get("/api/v1/admin/queues", headers=accounts.auth(admin)).json()["queues"]
    assert {q["queue"] for q in queues} == {"transcode", "media", "io", "default"}
    assert all(q["ready"] >= 0 and q["dead_letters"] >= 0 for q in queues)


def test_api_metrics_count_requests(client) -> None:  # type: ignore[no-untyped-def]
    client.get("/healthz")
    text = client.get("/metrics").text
    assert "cnt_api_requests_total" in text and 'path="/healthz"' in text


def test_api_metrics_answer_only_the_token_when_one_is_set(clean_db: None) -> None:
    import msgspec
    from litestar.testing import TestClient

    from api.app import create_app
    from settings import get_settings

    settings = msgspec.structs.replace(get_settings(), metrics_token="scrape-secret")
    with TestClient(create_app(settings)) as client:
        refused = client.get("/metrics")
        assert refused.status_code == 401 and "METRICS_TOKEN" in refused.json()["detail"]
        assert "scrape-secret" not in refused.text
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        scraped = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
        assert scraped.status_code == 200 and "cnt_api_requests_total" in scraped.text


def test_cli_lists_shows_and_retries_jobs(client, accounts) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from cli import _register, cli

    _register()
    admin = accounts.make("admin")
    content_id = _content_with_jobs(admin["id"], {"probe": "succeeded", "encode_audio": "failed"})
    runner = CliRunner()
    listed = runner.invoke(cli, ["jobs", "list", "--status", "failed"])
    assert listed.exit_code == 0, listed.output
    assert "encode_audio" in listed.output and "probe" not in listed.output
    job_id = listed.output.splitlines()[1].split()[0]

    shown = runner.invoke(cli, ["jobs", "show", job_id])
    assert shown.exit_code == 0 and "invalid data" in shown.output and content_id in shown.output

    retried = runner.invoke(cli, ["jobs", "retry", job_id])
    assert retried.exit_code == 0, retried.output
    detail = client.get(
        f"/api/v1/admin/jobs?content_id={content_id}&step=encode_audio",
        headers=accounts.auth(admin),
    )
    assert detail.json()["jobs"][0]["status"] == "queued"
    assert (
        client.get(f"/api/v1/content/{content_id}", headers=accounts.auth(admin)).json()["status"]
        == "processing"
    )

    again = runner.invoke(cli, ["jobs", "retry", job_id])
    assert again.exit_code == 1 and "queued" in again.output

    queues = runner.invoke(cli, ["queues"])
    assert (
        queues.exit_code == 0 and "transcode" in queues.output and "DEAD LETTERS" in queues.output
    )
