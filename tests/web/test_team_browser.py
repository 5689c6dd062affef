"""The media team and the admins in a real browser: upload through the studio, watch it process,
edit and publish; retry a failed job from the dashboard."""

from __future__ import annotations

import re
from typing import Any

from tests.web.conftest import Site, axe, sign_in, speech


def test_a_creator_uploads_watches_it_process_fixes_the_scripture_and_publishes(
    site: Site, page: Any
) -> None:
    source = speech(site.media / "upload.wav", ["Love your neighbour as yourself."])
    sign_in(page, site.base, site.user("creator"), then="/studio")
    axe(page)
    page.get_by_role("link", name="Upload a sermon").click()
    page.get_by_label("Title").fill("Love Your Neighbour")
    page.get_by_label("Recording (audio or video)").set_input_files(str(source))
    axe(page)
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(re.compile(r"/studio/[0-9a-f-]{36}$"), timeout=30_000)
    content_id = page.url.rsplit("/", 1)[1]

    # The steps' progress arrives over the event stream until the content is ready.
    page.wait_for_function(
        "() => document.querySelector('.content-status').textContent === 'ready'", timeout=120_000
    )
    assert page.locator("#overall").get_attribute("value") == "100"
    assert page.locator(".steps li", has_text="encode_audio").locator(".status-succeeded").count()
    axe(page)

    # A wrong reference: the API's own sentence shows beside the field.
    wrong = site.api(
        "creator", "PATCH", f"/content/{content_id}", json={"scripture": ["Hezekiah 4:2"]}
    )
    assert wrong.status_code == 422
    page.get_by_label("Scripture (separate with ;)").fill("Hezekiah 4:2")
    page.get_by_role("button", name="Save details").click()
    page.wait_for_selector(".form-status.field-error")
    assert page.locator(".form-status").inner_text() == wrong.json()["detail"]
    assert page.locator("#scripture-check").inner_text() == wrong.json()["detail"]
    assert page.get_by_label("Scripture (separate with ;)").get_attribute("aria-invalid") == "true"

    page.get_by_label("Scripture (separate with ;)").fill("Mark 12:31")
    page.wait_for_selector("#scripture-check.field-ok")
    page.get_by_role("button", name="Save details").click()
    page.wait_for_selector(".form-status.field-ok")
    page.get_by_role("button", name="Publish", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('.publish-status').textContent === 'Published'"
    )
    axe(page)

    saved = site.api("creator", "GET", f"/content/{content_id}").json()
    assert [ref["text"] for ref in saved["scripture"]] == ["Mark 12:31"]
    assert saved["published_at"] is not None
    page.goto(f"{site.base}/library?book=Mark")
    assert page.get_by_role("link", name="Love Your Neighbour").is_visible()


def test_an_admin_retries_a_failed_job_from_the_dashboard_and_sees_it_succeed(
    site: Site, page: Any
) -> None:
    site.openai.fail_next(
        400,
        {
            "error": {
                "message": "Invalid file format.",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        },
    )
    content_id = site.upload(speech(site.media / "retry.wav", ["Ask and it will be given."]), "Ask")
    site.wait_for(content_id, lambda c: c["status"] == "ready" and any(
        j["step"] == "transcribe" and j["status"] == "failed" for j in c["jobs"]
    ))  # fmt: skip

    sign_in(page, site.base, site.user("admin"), then="/admin")
    attention = page.get_by_role("table", name="Failed and dead jobs")
    row = attention.locator("tr", has_text="transcribe")
    assert "Invalid file format" in row.inner_text()
    axe(page)
    row.get_by_role("button", name=re.compile("^Retry transcribe")).click()
    page.wait_for_url(re.compile(r"/admin\?done=retried"))
    assert page.get_by_role("status").inner_text().startswith("retried")

    for _ in range(120):
        page.goto(f"{site.base}/admin?content_id={content_id}&step=transcribe")
        if page.get_by_role("table", name="Jobs").locator(".status-succeeded").count():
            break
        page.wait_for_timeout(500)
    assert (
        page.get_by_role("table", name="Jobs")
        .locator("tr", has_text="transcribe")
        .locator(".status-succeeded")
        .count()
        == 1
    )
    axe(page)
