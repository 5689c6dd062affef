"""Audio in other languages from the studio, in a real browser: a creator adds an
interpreter's recording to a ready video, sees it become ready, listeners' master lists it
beside the captions, a tag that names no language shows the API's sentence, and Remove takes
it out again; a listener's player offers the language and plays it when chosen."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.web.conftest import Site, axe, sign_in


def _make(dest: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args, str(dest)], check=True)
    return dest


def _master(site: Site, content_id: str) -> str:
    playback = site.api("creator", "GET", f"/content/{content_id}/playback").json()
    answer = httpx.get(playback["hls"], timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_a_creator_adds_and_removes_an_interpreters_recording(site: Site, page: Any) -> None:
    video = _make(
        site.media / "service-tracks.mp4", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=5",
        "-f", "lavfi", "-i", "sine=f=300:d=5", "-c:v", "libx264", "-preset", "ultrafast",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
    )  # fmt: skip
    recording = _make(
        site.media / "interpreter.m4a", "-f", "lavfi", "-i", "sine=f=600:d=4", "-c:a", "aac"
    )
    content_id = site.upload(video, "Sunday service")
    site.wait_for(content_id, lambda c: c["status"] == "ready")
    sign_in(page, site.base, site.user("creator"), then=f"/studio/{content_id}")
    axe(page)

    # A tag that names no language: the API's own sentence on the page.
    refused = site.api(
        "creator", "PUT", f"/content/{content_id}/audio-tracks/und", content=b"x"
    ).json()
    page.get_by_label("Language (a code such as es, pt-BR or spa)").fill("und")
    page.get_by_label("Recording", exact=True).set_input_files(str(recording))
    page.get_by_role("button", name="Add the recording").click()
    page.wait_for_function(
        "(text) => document.querySelector('.track-form-status').textContent === text",
        arg=refused["detail"],
    )

    page.get_by_label("Language (a code such as es, pt-BR or spa)").fill("es")
    page.get_by_label("Recording", exact=True).set_input_files(str(recording))
    page.get_by_role("button", name="Add the recording").click()
    page.wait_for_selector('li[data-language="es"] .track-status.status-ready', timeout=150_000)
    assert page.locator('li[data-language="es"] .track-name').inner_text() == "Español (es)"
    page.reload()  # the processing list names the track's job by its language
    done = page.locator('ul.steps li[data-step="add_audio_track es"] .step-status')
    assert done.inner_text() == "succeeded"
    axe(page)

    master = _master(site, content_id)
    assert 'TYPE=AUDIO,GROUP-ID="audio",NAME="Español",LANGUAGE="es"' in master
    assert "TYPE=SUBTITLES" in master  # the captions the plan made are still listed

    # The player offers the language; choosing it plays the Spanish rendition.
    page.goto(f"{site.base}/library/{content_id}")
    # Play, as the video's own control does (its place in the controls varies with the size).
    page.evaluate("() => { document.querySelector('#media').play().catch(() => {}); }")
    page.wait_for_selector(".audio-lang:not([hidden])", timeout=30_000)
    assert page.locator(".audio-language option").all_inner_texts() == ["English", "Español"]
    axe(page)
    with page.expect_request(lambda request: "/audio_es/" in request.url, timeout=30_000):
        page.locator(".audio-language").select_option(label="Español")

    page.goto(f"{site.base}/studio/{content_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('li[data-language="es"]').get_by_role("button", name="Remove").click()
    page.wait_for_selector('li[data-language="es"]', state="detached", timeout=60_000)
    assert 'LANGUAGE="es"' not in _master(site, content_id)
