"""The pages in a real browser (Debian's Chromium, headless): what a listener, a creator and
an admin do, each page checked with axe-core."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port
from tests.web.conftest import Site, axe, sign_in, speech

MEDIA = "document.querySelector('#media')"


def press_play(media: Any) -> None:
    """The browser's own play button, as a listener presses it (left end of the controls)."""
    box = media.bounding_box()
    media.click(
        position={"x": 20, "y": box["height"] - 24 if box["height"] > 80 else box["height"] / 2}
    )


@pytest.fixture(scope="module")
def sermon(site: Site) -> str:
    """A sermon processed for real (probe, encode, waveform, transcript, captions), published."""
    content_id = site.upload(
        speech(site.media / "sermon.wav"), "Blessed Are the Poor", speaker="Pastor Ann Lee",
        scripture=["Matt 5:3-12"],
    )  # fmt: skip
    site.wait_for(content_id, lambda c: c["status"] == "ready" and any(
        a["kind"] == "captions" for a in c["assets"]
    ))  # fmt: skip
    published = site.api("creator", "POST", f"/content/{content_id}/publish", json={})
    assert published.status_code == 200, published.text
    return content_id


def test_a_listener_finds_a_sermon_by_what_was_said_and_plays_it(
    site: Site, sermon: str, page: Any
) -> None:
    page.goto(f"{site.base}/")
    axe(page)
    page.get_by_role("link", name="Library").first.click()
    page.get_by_label("Search sermons and what was said in them").fill("mourn comforted")
    page.get_by_role("button", name="Search").click()
    result = page.locator(".card", has_text="Blessed Are the Poor")
    assert "comforted" in result.locator(".match").inner_text()
    axe(page)
    result.get_by_role("link", name="Blessed Are the Poor").click()
    page.wait_for_url(re.compile(rf"/library/{sermon}\?t=\d"))
    axe(page)

    # The search jumped to the passage: the player starts there.
    start = float(page.locator("[data-player]").get_attribute("data-start"))
    assert start > 0
    # The native play button, as a listener presses it (the stream attaches on that press).
    press_play(page.locator("#media"))
    page.wait_for_function(f"() => {MEDIA}.currentTime > 5", timeout=30_000)
    # Through hls.js (Media Source), from our HLS: not the MP3 fallback.
    assert page.evaluate(f"() => typeof Hls !== 'undefined' && {MEDIA}.src.startsWith('blob:')")

    line = page.locator(".transcript a").nth(1)
    at = float(line.get_attribute("data-start"))
    line.click()
    page.wait_for_function(
        f"() => Math.abs({MEDIA}.currentTime - {at}) < 1.5 && !{MEDIA}.paused", timeout=10_000
    )
    page.wait_for_selector(".transcript a[aria-current='true']")

    captions = page.get_by_role("button", name=re.compile("Captions"))
    captions.click()
    assert captions.get_attribute("aria-pressed") == "true"
    assert page.evaluate(f"{MEDIA}.textTracks[0].mode") == "hidden"  # audio: written below
    page.wait_for_function(
        "() => document.querySelector('.caption-line').textContent.trim().length > 0",
        timeout=15_000,
    )
    assert page.locator(".caption-line").is_visible()
    axe(page)


@pytest.fixture()
def other_origin(site: Site, sermon: str, tmp_path: Path) -> Iterator[str]:
    """The church's own website on another origin, framing the embed."""
    (tmp_path / "index.html").write_text(
        f'<!doctype html><html lang="en"><title>Church</title>'
        f'<iframe id="player" title="Sermon" width="560" height="200" '
        f'src="{site.base}/embed/{sermon}"></iframe></html>'
    )
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()


def test_the_embed_plays_inside_an_iframe_on_another_origin(
    page: Any, other_origin: str, sermon: str
) -> None:
    page.goto(other_origin)
    frame = page.frame_locator("#player")
    frame.locator("#media").wait_for(state="attached")
    player = next(f for f in page.frames if f.url.endswith(f"/embed/{sermon}"))
    press_play(frame.locator("#media"))
    player.wait_for_function(f"() => {MEDIA}.currentTime > 1", timeout=30_000)
    axe(player)


def test_a_listener_is_sent_to_sign_in_for_the_studio_and_refused_once_signed_in(
    site: Site, page: Any
) -> None:
    page.goto(f"{site.base}/studio")
    assert "/login" in page.url
    axe(page)
    sign_in(page, site.base, site.user("listener"))
    for path in ("/studio", "/admin"):
        answer = page.goto(f"{site.base}{path}")
        assert answer.status == 403
        assert "this needs the role" in page.locator(".problem").inner_text()
    axe(page)
