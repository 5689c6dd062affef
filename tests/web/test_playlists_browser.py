"""Playlists, continue listening and favourites in a real browser: a member makes a playlist from
a sermon's page, reorders it with the keyboard and plays it through (the second item follows
the first), its owner renames it and shares it, a sermon made private leaves everyone else's
view of it; a sermon stopped halfway on one device is on the other's home page and resumes
there."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.web.conftest import PASSWORD, SENTENCES, Site, axe, sign_in, speech
from tests.web.test_browser import MEDIA, press_play

SHORT = ["Grace and peace to you."]


def _published(site: Site, title: str, sentences: list[str]) -> str:
    content_id = site.upload(speech(site.media / f"{secrets.token_hex(4)}.wav", sentences), title)
    site.wait_for(content_id, lambda c: c["status"] == "ready")
    published = site.api("creator", "POST", f"/content/{content_id}/publish", json={})
    assert published.status_code == 200, published.text
    return content_id


@pytest.fixture(scope="module")
def sermons(site: Site) -> dict[str, str]:
    """Two short sermons for the playlist, and a longer one to stop halfway through."""
    return {
        "first": _published(site, "First Light", SHORT),
        "second": _published(site, "Second Wind", SHORT),
        # Long enough to stop in the middle: the last 30 s of a sermon count as finished.
        "long": _published(site, "The Long Road", SENTENCES * 4),
    }


def _member(site: Site) -> dict[str, str]:
    """A listener of their own (each test's member starts with no playlists or progress)."""
    from cli.users import _save_user

    email = f"member-{secrets.token_hex(3)}@church.test"
    _save_user(email, PASSWORD, "listener")
    tokens = httpx.post(
        f"{site.base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}
    ).json()
    return {"email": email, "password": PASSWORD, **tokens}


def _api(site: Site, member: dict[str, str], method: str, path: str, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {member['access_token']}"}
    return httpx.request(method, f"{site.base}/api/v1{path}", headers=headers, timeout=30, **kw)


def _titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator(".queue li").evaluate_all(
        "(items) => items.map((item) => item.dataset.title)"
    )]  # fmt: skip


def _add_from_player(page: Any, base: str, content_id: str, playlist: str, new: bool) -> None:
    page.goto(f"{base}/library/{content_id}")
    page.wait_for_selector("[data-member]:not([hidden])")
    if new:
        page.get_by_label("Add to playlist").select_option(label="A new playlist…")
        page.get_by_label("New playlist's title").fill(playlist)
    else:
        page.get_by_label("Add to playlist").select_option(label=playlist)
        assert page.get_by_label("New playlist's title").is_hidden()
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('.member-status').textContent.startsWith('Added to')"
    )


def test_a_member_makes_a_playlist_reorders_it_and_plays_it_through(
    site: Site, sermons: dict[str, str], page: Any, new_page: Callable[[], Any]
) -> None:
    member = _member(site)
    sign_in(page, site.base, member, then=f"/library/{sermons['first']}")
    axe(page)
    _add_from_player(page, site.base, sermons["first"], "Morning walk", new=True)
    axe(page)
    _add_from_player(page, site.base, sermons["second"], "Morning walk", new=False)
    page.locator(".member-status a").click()
    page.wait_for_url(re.compile(r"/playlists/[^/]+$"))
    playlist_id = page.url.rsplit("/", 1)[1]
    assert _titles(page) == ["First Light", "Second Wind"]
    axe(page)

    # Reordered from the keyboard: the focus stays on the button that moved its item.
    mover = page.get_by_role("button", name="Move Second Wind up")
    mover.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('.playlist-status').textContent.startsWith('Moved')"
    )
    assert _titles(page) == ["Second Wind", "First Light"]
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == (
        "Move Second Wind up"
    )
    stored = _api(site, member, "GET", f"/playlists/{playlist_id}").json()
    assert [i["content_id"] for i in stored["items"]] == [sermons["second"], sermons["first"]]

    # Played in order on the page: it starts on the first item and goes on to the second.
    page.reload()
    assert _titles(page) == ["Second Wind", "First Light"]
    assert page.locator(".now-title").inner_text() == "Second Wind"
    press_play(page.locator("#media"))
    page.wait_for_function(f"() => {MEDIA}.currentTime > 0.5", timeout=30_000)
    assert page.locator(".queue li[aria-current='true']").get_attribute("data-title") == (
        "Second Wind"
    )
    page.wait_for_function(
        "() => document.querySelector('.queue li[aria-current=\"true\"]')?.dataset.title"
        " === 'First Light'",
        timeout=60_000,
    )
    assert page.locator(".now-title").inner_text() == "First Light"
    page.wait_for_function(f"() => !{MEDIA}.paused && {MEDIA}.currentTime > 0.5", timeout=30_000)
    axe(page)

    # Renamed and shared with everyone.
    page.get_by_label("Title").fill("Evening walk")
    page.get_by_label("Who can see it").select_option(label="Everyone")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_function(
        "() => document.querySelector('.playlist-status').textContent === 'Saved.'"
    )
    assert page.locator("h1").inner_text() == "Evening walk"
    stored = _api(site, member, "GET", f"/playlists/{playlist_id}").json()
    assert (stored["title"], stored["visibility"]) == ("Evening walk", "public")

    # A sermon made private later leaves the others' view of the playlist (not its owner's).
    hidden = site.api(
        "creator", "PATCH", f"/content/{sermons['first']}", json={"visibility": "private"}
    )
    assert hidden.status_code == 200, hidden.text
    try:
        visitor = new_page()
        visitor.goto(f"{site.base}/playlists/{playlist_id}")
        assert _titles(visitor) == ["Second Wind"]
        assert "First Light" not in visitor.content()
        axe(visitor)
        page.reload()
        assert _titles(page) == ["Second Wind", "An unavailable item"]
        # Its owner takes the unavailable item out.
        page.get_by_role("button", name="Remove An unavailable item from the playlist").click()
        page.wait_for_function("() => document.querySelectorAll('.queue li').length === 1")
        stored = _api(site, member, "GET", f"/playlists/{playlist_id}").json()
        assert [i["content_id"] for i in stored["items"]] == [sermons["second"]]
    finally:
        site.api("creator", "PATCH", f"/content/{sermons['first']}", json={"visibility": "public"})

    # Their playlist is theirs on the playlists page.
    page.goto(f"{site.base}/playlists")
    assert "Evening walk" in page.locator(".my-playlists").inner_text()
    axe(page)


def _saved_position(site: Site, member: dict[str, str], content_id: str) -> float:
    """Waits for the page's save to land (a PUT every few seconds and on pause)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = _api(site, member, "GET", f"/me/progress/{content_id}")
        if answer.status_code == 200 and answer.json()["position"] > 2:
            return float(answer.json()["position"])
        time.sleep(0.3)
    raise AssertionError("the player never saved its position")


def test_a_sermon_stopped_halfway_continues_on_another_device(
    site: Site, sermons: dict[str, str], page: Any, new_page: Callable[[], Any]
) -> None:
    member = _member(site)
    long_id = sermons["long"]
    sign_in(page, site.base, member, then=f"/library/{long_id}")
    # The page's token has run out (they last 15 minutes, less than a sermon): the page asks
    # for a fresh one with its session and saves all the same.
    token = page.locator('meta[name="cnt-token"]')
    token.evaluate("(meta) => { meta.content = 'expired.token.here'; }")
    press_play(page.locator("#media"))
    page.wait_for_function(f"() => {MEDIA}.currentTime > 3", timeout=30_000)
    page.evaluate(f"() => {MEDIA}.pause()")
    stopped = page.evaluate(f"() => {MEDIA}.currentTime")
    saved = _saved_position(site, member, long_id)
    assert abs(saved - stopped) < 1, (saved, stopped)
    assert token.get_attribute("content").count(".") == 2  # a fresh JWT
    assert token.get_attribute("content") != "expired.token.here"
    duration = float(page.locator("[data-player]").get_attribute("data-duration"))
    assert duration - saved > 30  # halfway, not finished

    # The church's curated playlists are on everyone's home page.
    curated = site.api("creator", "POST", "/playlists", json={
        "title": "Advent readings", "visibility": "public", "curated": True,
    })  # fmt: skip
    assert curated.status_code == 201, curated.text
    site.api(
        "creator", "POST", f"/playlists/{curated.json()['id']}/items", json={"content_id": long_id}
    )

    phone = new_page()
    sign_in(phone, site.base, member, then="/")
    assert "Advent readings" in phone.locator("section[aria-labelledby='curated-h']").inner_text()
    shelf = phone.locator("section.continue")
    assert "The Long Road" in shelf.inner_text()
    assert "Stopped at 0:0" in shelf.inner_text()
    axe(phone)
    shelf.get_by_role("link", name="The Long Road").click()
    phone.wait_for_url(f"{site.base}/library/{long_id}")
    assert float(phone.locator("[data-player]").get_attribute("data-start")) == pytest.approx(saved)
    assert "You stopped at" in phone.locator(".member").inner_text()
    press_play(phone.locator("#media"))
    phone.wait_for_function(f"() => !{MEDIA}.paused && {MEDIA}.currentTime > 0", timeout=30_000)
    assert phone.evaluate(f"() => {MEDIA}.currentTime") >= saved - 0.5

    # A favourite, from the player, is on the home page of the other device.
    favourite = phone.get_by_role("button", name="Favourite")
    favourite.click()
    phone.wait_for_function(
        "() => document.querySelector('.favourite').getAttribute('aria-pressed') === 'true'"
    )
    axe(phone)
    page.goto(f"{site.base}/")
    assert "The Long Road" in page.locator("section.favourites").inner_text()
    axe(page)
    phone.get_by_role("button", name="Favourite").click()
    phone.wait_for_function(
        "() => document.querySelector('.favourite').getAttribute('aria-pressed') === 'false'"
    )
    assert _api(site, member, "GET", "/me/favourites").json()["items"] == []
