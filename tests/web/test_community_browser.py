"""The community in a real browser: an anonymous prayer request reaches another member's open
feed without its author's name anywhere in that page, and their "I prayed" and comment reach
the asker's page; a reported post hidden by a moderator from /moderation leaves the feed of
the member who reported it; the word list holds a post until a moderator approves it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import update

from models import User
from tests.web.conftest import Site, axe, sign_in
from workers.db import session_scope


def _named(user: dict[str, str], name: str) -> None:
    with session_scope() as session:
        session.execute(update(User).where(User.email == user["email"]).values(display_name=name))


def _card(page: Any, text: str) -> Any:
    return page.locator("article.post", has_text=text)


@pytest.fixture()
def new_page(browser: Any) -> Iterator[Callable[[], Any]]:
    """More people, each in their own browser context, closed whatever happens (an open event
    stream would hold the server's shutdown)."""
    contexts: list[Any] = []

    def make() -> Any:
        contexts.append(browser.new_context())
        opened = contexts[-1].new_page()
        errors: list[str] = []
        opened.on("pageerror", lambda error: errors.append(str(error)))
        opened.js_errors = errors
        return opened

    yield make
    for context in contexts:
        assert not context.pages or not context.pages[0].js_errors, context.pages[0].js_errors
        context.close()


def test_an_anonymous_prayer_request_reaches_an_open_feed_without_its_author(
    site: Site, page: Any, new_page: Callable[[], Any]
) -> None:
    asker, reader = site.user("listener"), site.user("creator")
    _named(asker, "Hannah Quietly")
    _named(reader, "Samuel Reader")
    asker_id = site.api("listener", "GET", "/auth/me").json()["id"]

    other = new_page()
    sign_in(other, site.base, reader, then="/community")
    axe(other)

    sign_in(page, site.base, asker, then="/community")
    page.get_by_label("A prayer request").check()
    page.get_by_label("Your words").fill("Please pray for my mother's operation on Tuesday")
    page.get_by_label("Hide my name from other members").check()
    page.get_by_role("button", name="Post", exact=True).click()
    mine = _card(page, "my mother's operation")
    mine.wait_for(timeout=10_000)
    assert "Your name is hidden from other members" in mine.inner_text()
    axe(page)

    # The other member's open page gets it live, rendered for them: no name, no id, anywhere.
    theirs = _card(other, "my mother's operation")
    theirs.wait_for(timeout=10_000)
    assert "someone who asked not to be named" in theirs.inner_text()
    dom = other.content()
    for secret in ("Hannah", asker["email"], asker_id):
        assert secret not in dom, secret
    axe(other)

    # They pray, and say so; the asker's page counts it without reloading.
    theirs.get_by_role("button", name="I prayed").click()
    other.wait_for_function(
        """() => document.querySelector('article.post [data-react="praying"]')
             .getAttribute('aria-pressed') === 'true'""",
        timeout=10_000,
    )
    assert theirs.get_by_role("button", name="I prayed").inner_text().endswith("1")
    page.wait_for_function(
        """() => document.querySelector('article.post [data-react="praying"] .count')
             .textContent === '1'""",
        timeout=10_000,
    )
    assert mine.get_by_role("button", name="I prayed").get_attribute("aria-pressed") == "false"

    theirs.locator("summary", has_text="Write a comment").click()
    theirs.get_by_label("Your comment").fill("Praying for her and for you")
    theirs.get_by_role("button", name="Comment", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('article.post .comment-count').textContent === '1'",
        timeout=10_000,
    )

    # The conversation on the post's own page, as the asker sees it, keyboard and all.
    mine.get_by_role("link", name="1 comment").click()
    page.wait_for_selector(".comments li", timeout=10_000)
    assert "Samuel Reader" in page.locator(".comments").inner_text()
    assert "Praying for her and for you" in page.locator(".comments").inner_text()
    axe(page)
    page.get_by_role("button", name="Mark answered").click()
    page.wait_for_selector("article.post .answered", timeout=10_000)
    assert "someone who asked not to be named" not in page.content()  # she sees it is hers


def test_a_reported_post_hidden_by_a_moderator_leaves_the_reporters_feed(
    site: Site, page: Any, new_page: Callable[[], Any]
) -> None:
    made = site.api("admin", "POST", "/posts", json={"text": "Cheap watches at my stall, DM me"})
    assert made.status_code == 201, made.text
    reporter = new_page()
    sign_in(reporter, site.base, site.user("creator"), then="/community")
    card = _card(reporter, "Cheap watches")
    card.locator("summary", has_text="Report").click()
    card.get_by_label("Why should a moderator look at this?").fill("Selling things in church")
    card.get_by_role("button", name="Send report").click()
    reporter.wait_for_function(
        "() => document.querySelector('article.post .post-status').textContent.length > 0",
        timeout=10_000,
    )
    assert "moderators will look at it" in card.inner_text()

    sign_in(page, site.base, site.user("moderator"), then="/moderation")
    axe(page)
    report = page.locator(".report-item", has_text="Cheap watches")
    assert "Selling things in church" in report.inner_text()
    report.get_by_label("Reason for your action").fill("No selling")
    report.get_by_role("button", name="Hide", exact=True).click()
    page.wait_for_selector(".moderation-status:has-text('The post is hidden.')", timeout=10_000)
    assert page.locator(".report-item", has_text="Cheap watches").count() == 0
    log = page.locator("table.log").inner_text()
    assert "hide" in log and "No selling" in log
    axe(page)

    # Gone from the reporter's open feed without a reload, and after one.
    reporter.locator("article.post", has_text="Cheap watches").wait_for(
        state="detached", timeout=10_000
    )
    reporter.reload()
    assert reporter.locator("article.post", has_text="Cheap watches").count() == 0


def test_the_word_list_holds_a_post_until_a_moderator_approves_it(
    site: Site, page: Any, new_page: Callable[[], Any]
) -> None:
    sign_in(page, site.base, site.user("moderator"), then="/moderation")
    page.get_by_label("Add a word or phrase").fill("lottery")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_selector(".words li:has-text('lottery')", timeout=10_000)

    member = new_page()
    sign_in(member, site.base, site.user("creator"), then="/community")
    member.get_by_label("Your words").fill("Our youth group lottery raised £200 for the roof")
    member.get_by_role("button", name="Post", exact=True).click()
    member.wait_for_selector(".post-form .form-status:has-text('a moderator will read')")
    assert _card(member, "youth group lottery").count() == 0

    page.reload()
    held = page.locator(".held-item", has_text="youth group lottery")
    held.get_by_role("button", name="Approve").click()
    page.wait_for_selector(".moderation-status:has-text('approved')", timeout=10_000)
    axe(page)
    # Approved, it reaches the member's open feed as a new post does.
    _card(member, "youth group lottery").wait_for(timeout=10_000)
    page.locator(".words li", has_text="lottery").get_by_role("button").click()
    page.wait_for_selector(".moderation-status:has-text('off the list')", timeout=10_000)
