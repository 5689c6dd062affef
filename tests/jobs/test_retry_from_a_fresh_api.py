"""An API process that never imported the actors can still retry a job (the message is sent)."""

from __future__ import annotations

import httpx

from models import Content, Job, User
from workers.db import session_scope


def test_admin_retry_works_in_an_api_process_that_never_declared_the_actors(live_api: str) -> None:
    from cli.users import _save_user

    _save_user("fresh-admin@church.test", "a-good-long-password", "admin")
    with session_scope() as session:
        owner = session.query(User).filter_by(email="fresh-admin@church.test").one()
        content = Content(owner_id=owner.id, title="Failed once", status="failed", generation=1)
        session.add(content)
        session.flush()
        job = Job(
            content_id=content.id, step="probe", generation=1, queue="media", status="failed",
            attempts=1, error="probe: the file is not media",
        )  # fmt: skip
        session.add(job)
        session.flush()
        job_id = job.id
    login = {"email": "fresh-admin@church.test", "password": "a-good-long-password"}
    token = httpx.post(f"{live_api}/api/v1/auth/login", json=login).json()["access_token"]
    response = httpx.post(
        f"{live_api}/api/v1/admin/jobs/{job_id}/retry", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 202, response.text
    with session_scope() as session:
        retried = session.get(Job, job_id)
        assert retried is not None
        assert retried.status == "queued"
        assert retried.message_id
