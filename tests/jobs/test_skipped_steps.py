"""A step with nothing to do says so: without a transcription provider, transcription and
captions end `skipped` with the reason on the job (not a 0-second `succeeded`), and the sermon
is ready all the same."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import wait_for_status
from tests.jobs.conftest import upload


def test_without_a_provider_transcription_and_captions_are_skipped_with_the_reason(
    client, accounts, worker, tone_m4a: Path
) -> None:  # type: ignore[no-untyped-def]
    headers = accounts.auth(accounts.make("creator"))
    content_id = upload(client, headers, tone_m4a)
    ready = wait_for_status(client, content_id, headers, {"ready", "failed"})
    assert ready["status"] == "ready", ready

    def jobs_now() -> dict[str, dict]:  # type: ignore[type-arg]
        body = client.get(f"/api/v1/content/{content_id}", headers=headers).json()
        return {job["step"]: job for job in body["jobs"]}

    from tests.jobs.conftest import wait_until

    wait_until(lambda: jobs_now().get("captions", {}).get("status") == "skipped", timeout=60)
    jobs = jobs_now()
    assert jobs["transcribe"]["status"] == "skipped"
    assert "no transcription provider" in jobs["transcribe"]["error"]
    assert jobs["captions"]["error"] == "skipped: there is no transcript to caption"
    assert {jobs[s]["status"] for s in ("probe", "encode_audio", "waveform", "publish")} == {
        "succeeded"
    }
