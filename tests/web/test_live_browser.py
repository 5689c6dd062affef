"""A live service's chat in a real browser: a member writes, a visitor's open page receives it
over the session's events; and a recording's chat comes back beside it, each message when
playback reaches the moment it was sent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from models import ChatMessage, LiveSession, utcnow
from tests.web.conftest import Site, axe, sign_in, speech
from tests.web.test_browser import MEDIA, press_play
from workers.db import session_scope


def _service(site: Site, title: str) -> dict[str, Any]:
    made = site.api(
        "creator", "POST", "/live/sessions",
        json={"title": title, "starts_at": "2026-12-06T09:30:00Z", "record": False},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


@pytest.fixture()
def new_page(browser: Any) -> Iterator[Callable[[], Any]]:
    """More pages, each in its own context (another person), closed whatever happens: an open
    event stream would hold the server's shutdown."""
    contexts: list[Any] = []

    def make() -> Any:
        contexts.append(browser.new_context())
        return contexts[-1].new_page()

    yield make
    for context in contexts:
        context.close()


def test_a_members_message_reaches_a_visitors_open_page(
    site: Site, page: Any, new_page: Callable[[], Any]
) -> None:
    service = _service(site, "Advent Sunday")
    visitor = new_page()
    visitor.goto(f"{site.base}/live/{service['id']}")
    assert "Sign in to chat" in visitor.locator(".chat").inner_text()

    sign_in(page, site.base, site.user("listener"), then=f"/live/{service['id']}")
    axe(page)
    page.get_by_label("Message").fill("Good morning from the balcony!")
    page.get_by_role("button", name="Send").click()
    page.wait_for_selector(".chat .messages li", timeout=10_000)
    assert "Good morning from the balcony!" in page.locator(".chat .messages").inner_text()
    assert page.get_by_label("Message").input_value() == ""

    # The visitor's page gets it over the session's events, without reloading.
    visitor.wait_for_selector(".chat .messages li", timeout=10_000)
    assert "Good morning from the balcony!" in visitor.locator(".chat .messages").inner_text()
    axe(visitor)

    # Too long: the API's own sentence shows, and nothing is sent.
    page.get_by_label("Message").evaluate("(input) => input.removeAttribute('maxlength')")
    page.get_by_label("Message").fill("x" * 501)
    page.get_by_role("button", name="Send").click()
    page.wait_for_function(
        "() => document.querySelector('.chat-status').textContent.length > 0", timeout=10_000
    )
    assert page.locator(".chat .messages li").count() == 1

    # The host removes a message: it goes from every open page.
    host = new_page()
    sign_in(host, site.base, site.user("creator"), then=f"/live/{service['id']}")
    host.wait_for_selector(".chat .messages li")
    host.get_by_role("button", name="Remove").first.click()
    visitor.wait_for_function(
        "() => document.querySelectorAll('.chat .messages li').length === 0", timeout=10_000
    )
    page.close()  # its event stream too


def test_a_recordings_chat_appears_as_playback_reaches_each_message(site: Site, page: Any) -> None:
    recording = site.upload(speech(site.media / "service.wav"), "Advent Service", kind="recording")
    site.wait_for(recording, lambda c: c["status"] == "ready")
    assert site.api("creator", "POST", f"/content/{recording}/publish", json={}).status_code == 200
    service = _service(site, "Advent Service")
    started = utcnow() - timedelta(minutes=5)
    with session_scope() as db:
        db.execute(
            update(LiveSession)
            .where(LiveSession.id == service["id"])
            .values(content_id=recording, status="ended", recording_started_at=started)
        )
        for at, text in ((1.0, "Amen!"), (9.0, "Thank you, pastor")):
            db.add(
                ChatMessage(
                    session_id=service["id"], author_name="Ruth", text=text,
                    sent_at=started + timedelta(seconds=at),
                )
            )  # fmt: skip

    page.goto(f"{site.base}/library/{recording}")
    replay = page.locator(".chat-replay li")
    assert replay.count() == 2
    # Before playback nothing has been said yet.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chat-replay li')].every((li) => li.hidden)"
    )
    axe(page)
    press_play(page.locator("#media"))
    page.wait_for_function(f"() => {MEDIA}.currentTime > 2", timeout=30_000)
    page.evaluate(f"() => {MEDIA}.pause()")
    assert replay.nth(0).is_visible() and "Amen!" in replay.nth(0).inner_text()
    assert replay.nth(1).is_hidden()
    # Its time is a link to that moment.
    replay.nth(1).locator("a.at").evaluate("(a) => { a.closest('li').hidden = false; }")
    replay.nth(1).locator("a.at").click()
    page.wait_for_function(f"() => {MEDIA}.currentTime >= 9", timeout=10_000)
    assert replay.nth(1).is_visible()
