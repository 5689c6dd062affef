"""Editing from the studio in a real browser: a wrong range shows the API's own sentence, a trim
is made and played as the cut, a clip is cut from the page."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tests.web.conftest import Site, axe, sign_in


def _video(dest: Path) -> Path:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "6",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(dest)],
        check=True,
    )  # fmt: skip
    return dest


def test_a_creator_trims_and_clips_from_the_studio(site: Site, page: Any) -> None:
    content_id = site.upload(_video(site.media / "service.mp4"), "Sunday service")
    site.wait_for(content_id, lambda c: c["status"] == "ready")
    sign_in(page, site.base, site.user("creator"), then=f"/studio/{content_id}")
    axe(page)

    # The API refuses a reversed range; the page shows its sentence.
    refused = site.api(
        "creator", "POST", f"/content/{content_id}/trim", json={"start_s": 4, "end_s": 2}
    )
    assert refused.status_code == 422
    page.get_by_label("Trim start (s)").fill("4")
    page.get_by_label("Trim end (s)").fill("2")
    page.get_by_role("button", name="Trim", exact=True).click()
    page.wait_for_selector(".trim-status.field-error")
    assert page.locator(".trim-status").inner_text() == refused.json()["detail"]

    page.get_by_label("Trim start (s)").fill("1")
    page.get_by_label("Trim end (s)").fill("4")
    page.get_by_role("button", name="Trim", exact=True).click()
    page.wait_for_selector(".trim-status.field-ok")
    trimmed = site.wait_for(
        content_id, lambda c: c["status"] == "ready" and c.get("live_generation") == 2, timeout=180
    )
    assert (trimmed["range_start_s"], trimmed["range_end_s"]) == (1.0, 4.0)
    assert abs(trimmed["duration"] - 3.0) < 0.1  # probed from the cut
    playback = site.api("creator", "GET", f"/content/{content_id}/playback").json()
    assert playback["generation"] == 2

    page.reload()
    page.get_by_label("Clip title").fill("A moment")
    page.get_by_label("Clip start (s)").fill("1")
    page.get_by_label("Clip end (s)").fill("3")
    page.get_by_role("button", name="Make the clip").click()
    page.wait_for_selector(".clip-status.field-ok")
    assert page.locator("ul.clips li").count() == 1
    clips = site.api("creator", "GET", f"/content/{content_id}/clips").json()
    assert len(clips) == 1 and clips[0]["aspect"] == "9:16"
    axe(page)
