"""Long lists on the pages go on past their first 50: the playlists page (the church's list with
the script, a member's own list without it), the moderators' report queue and audit log each
show a "More" link that brings the rest, in order, each row once; a report brought in by it can
be acted on like the first ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models import ModerationAction, Playlist, Post, Report, utcnow
from tests.web.conftest import Site, axe, sign_in
from workers.db import session_scope

SHOWN = 50  # what the pages show before "More"


def _user_id(site: Site, role: str) -> str:
    return str(site.api(role, "GET", "/auth/me").json()["id"])


def _playlists(owner_id: str, count: int, *, title: str, curated: bool) -> list[str]:
    """`count` playlists, newest first in the returned titles (the page's order)."""
    now = utcnow()
    titles = [f"{title} {n:02d}" for n in range(count)]
    with session_scope() as session:
        for n, name in enumerate(titles):
            session.add(
                Playlist(
                    owner_id=owner_id,
                    title=name,
                    visibility="public" if curated else "private",
                    curated=curated,
                    created_at=now - timedelta(minutes=n),
                    updated_at=now - timedelta(minutes=n),
                )
            )
    return titles


def _card_titles(page: Any, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(f"{selector} > li h3").all_inner_texts()]


def test_the_playlists_page_shows_more_than_fifty_with_and_without_its_script(
    site: Site, page: Any, browser: Any
) -> None:
    curated = _playlists(_user_id(site, "admin"), 53, title="Psalms evening", curated=True)
    mine = _playlists(_user_id(site, "listener"), 52, title="My list", curated=False)

    sign_in(page, site.base, site.user("listener"), then="/playlists")
    assert _card_titles(page, "#curated-list") == curated[:SHOWN]
    assert _card_titles(page, "#my-list") == mine[:SHOWN]
    axe(page)
    page.evaluate("() => { window.notReloaded = true; }")
    page.get_by_role("link", name="More playlists from the church").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#curated-list > li').length === 53", timeout=10_000
    )
    assert _card_titles(page, "#curated-list") == curated  # in order, each once
    assert page.evaluate("() => window.notReloaded === true")  # joined in place
    assert page.get_by_role("link", name="More playlists from the church").count() == 0
    assert page.evaluate("() => document.activeElement.textContent.includes('Psalms evening 50')")
    axe(page)

    # Without JavaScript the link is the server's next page of that list.
    context = browser.new_context(java_script_enabled=False)
    try:
        plain = context.new_page()
        sign_in(plain, site.base, site.user("listener"), then="/playlists")
        plain.get_by_role("link", name="More of my playlists").click()
        plain.wait_for_url("**/playlists?list=mine&cursor=*")
        assert _card_titles(plain, "#my-list") == mine[SHOWN:]
        assert _card_titles(plain, "#curated-list") == curated[:SHOWN]  # starts over
        assert plain.get_by_role("link", name="More of my playlists").count() == 0
    finally:
        context.close()


def test_the_moderation_queue_and_log_show_more_than_fifty(site: Site, page: Any) -> None:
    author, reporter = _user_id(site, "creator"), _user_id(site, "listener")
    moderator = _user_id(site, "moderator")
    now = utcnow()
    with session_scope() as session:
        posts = [Post(author_id=author, text=f"Stall number {n:02d}") for n in range(52)]
        session.add_all(posts)
        session.flush()
        for n, post in enumerate(posts):  # oldest first, as the queue is read
            session.add(
                Report(
                    target_type="post",
                    target_id=post.id,
                    reporter_id=reporter,
                    reason=f"selling {n:02d}",
                    created_at=now - timedelta(minutes=100 - n),
                )
            )
        for n in range(53):  # newest first, as the log is read
            session.add(
                ModerationAction(
                    moderator_id=moderator,
                    action="add_word",
                    target_type="word",
                    target_id=f"word{n:02d}",
                    created_at=now - timedelta(minutes=n),
                )
            )

    sign_in(page, site.base, site.user("moderator"), then="/moderation")
    reports = page.locator("#report-list > li")
    assert reports.count() == SHOWN
    assert page.locator("#log-rows > tr").count() == SHOWN
    axe(page)

    page.get_by_role("link", name="More reports").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#report-list > li').length === 52", timeout=10_000
    )
    reasons = page.locator("#report-list .reason").all_inner_texts()
    assert reasons == [f"Reason: selling {n:02d}" for n in range(52)]
    assert page.get_by_role("link", name="More reports").count() == 0

    page.get_by_role("link", name="Older actions").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#log-rows > tr').length === 53", timeout=10_000
    )
    words = page.locator("#log-rows > tr td:nth-child(4)").all_inner_texts()
    assert words == [f"word “word{n:02d}”" for n in range(53)]
    axe(page)

    # The last report, brought in by "More", is acted on like any other.
    last = page.locator("#report-list > li", has_text="selling 51")
    last.get_by_label("Reason for your action (kept in the audit log)").fill("a stall is fine")
    last.get_by_role("button", name="Dismiss").click()
    page.wait_for_selector(".moderation-status:has-text('The report is dismissed.')")
    open_reports = site.api("moderator", "GET", "/moderation/reports", params={"limit": 100})
    assert len(open_reports.json()["items"]) == 51
