"""The community in a real browser: an anonymous prayer request reaches another member's open
feed without its author's name anywhere in that page, and their "I prayed" and comment reach
the asker's page; a reported post hidden by a moderator from /moderation leaves the feed of
the member who reported it; the word list holds a post until a moderator approves it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import update

from models import User
from tests.platform.images import photo
from tests.sermons import make_sermon
from tests.web.conftest import Site, axe, sign_in
from workers.db import session_scope


def _named(user: dict[str, str], name: str) -> None:
    with session_scope() as session:
        session.execute(update(User).where(User.email == user["email"]).values(display_name=name))


def _card(page: Any, text: str) -> Any:
    return page.locator("article.post", has_text=text)


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
    # Its author is muted for an hour from the report, then the post hidden.
    report.locator("summary", has_text="Mute").click()
    report.get_by_label("For how long").select_option(label="an hour")
    report.get_by_label("Why (kept in the audit log)").fill("Selling again")
    report.get_by_role("button", name="Mute", exact=True).click()
    page.wait_for_selector(".moderation-status:has-text('muted for an hour')", timeout=10_000)
    refused = site.api("admin", "POST", "/posts", json={"text": "One more offer"})
    assert (refused.status_code, refused.json()["code"]) == (403, "muted")
    report = page.locator(".report-item", has_text="Cheap watches")
    report.get_by_label("Reason for your action").fill("No selling")
    report.get_by_role("button", name="Hide", exact=True).click()
    page.wait_for_selector(".moderation-status:has-text('The post is hidden.')", timeout=10_000)
    assert page.locator(".report-item", has_text="Cheap watches").count() == 0
    log = page.locator("table.log").inner_text()
    assert "hide" in log and "No selling" in log
    assert "mute" in log and "Selling again" in log
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


def test_a_post_with_a_photo_and_a_sermon_then_edited_answered_and_its_reply_deleted(
    site: Site, page: Any, tmp_path: Any
) -> None:
    owner_id = site.api("creator", "GET", "/auth/me").json()["id"]
    sermon = make_sermon(owner_id, title="The Sower and the Seed", speaker="Pastor Ann")
    picture = tmp_path / "harvest.jpg"
    picture.write_bytes(photo(1200, 800))

    sign_in(page, site.base, site.user("moderator"), then="/community")
    page.get_by_label("Your words").fill("Harvest festival photos!")
    page.get_by_label("A photo").set_input_files(str(picture))
    page.get_by_label("A sermon to share").fill(f"{site.base}/library/{sermon}?t=30")
    page.get_by_role("button", name="Post", exact=True).click()
    card = _card(page, "Harvest festival photos!")
    card.wait_for(timeout=20_000)
    image = card.locator("picture img")
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=10_000
    )
    assert card.get_by_role("link", name="The Sower and the Seed").get_attribute("href") == (
        f"/library/{sermon}"
    )
    axe(page)

    card.locator("summary", has_text="Edit").click()
    card.get_by_label("Text").fill("Harvest festival photos, with thanks to the flower team!")
    card.get_by_role("button", name="Save").click()
    page.wait_for_selector("article.post:has-text('with thanks to the flower team')")
    assert "edited" in _card(page, "flower team").inner_text()

    # A comment and a reply on the post's page, then the reply deleted.
    _card(page, "flower team").get_by_role("link", name="0 comments").click()
    page.get_by_label("Your comment").fill("Beautiful flowers")
    page.get_by_role("button", name="Comment", exact=True).click()
    page.wait_for_selector(".comments > li:has-text('Beautiful flowers')", timeout=10_000)
    page.locator(".comments > li summary", has_text="Reply").click()
    page.get_by_label("Your reply").fill("Thank you, Ruth arranged them")
    page.get_by_role("button", name="Reply", exact=True).click()
    reply = page.locator(".replies li", has_text="Ruth arranged them")
    reply.wait_for(timeout=10_000)
    axe(page)
    reply.get_by_role("button", name="Delete this comment").click()
    reply.wait_for(state="detached", timeout=10_000)
    page.reload()
    assert "Ruth arranged them" not in page.content()
    assert "Beautiful flowers" in page.content()


def test_a_member_comments_on_a_sermon_from_its_player_page(
    site: Site, page: Any, new_page: Callable[[], Any]
) -> None:
    owner_id = site.api("creator", "GET", "/auth/me").json()["id"]
    sermon = make_sermon(owner_id, title="Mustard Seed Faith")
    switched = site.api(
        "creator", "PUT", f"/content/{sermon}/comments/enabled", json={"enabled": True}
    )
    assert switched.status_code == 200, switched.text
    visitor = new_page()
    visitor.goto(f"{site.base}/library/{sermon}")
    assert "to comment" in visitor.locator(".sermon-comments").inner_text()
    axe(visitor)

    sign_in(page, site.base, site.user("listener"), then=f"/library/{sermon}")
    comments = page.locator(".sermon-comments")
    comments.get_by_label("Your comment").fill("Small faith, big God")
    comments.get_by_role("button", name="Comment", exact=True).click()
    page.wait_for_selector(".sermon-comments .comments li:has-text('Small faith')", timeout=10_000)
    assert page.locator(".sermon-comments .form-status").inner_text() == "Your comment is posted."
    axe(page)
    visitor.reload()
    assert "Small faith, big God" in visitor.locator(".sermon-comments").inner_text()
    assert visitor.locator(".sermon-comments .report").count() == 0  # members report

    # Another member reports it from the player page; it joins the moderators' queue.
    other = new_page()
    sign_in(other, site.base, site.user("creator"), then=f"/library/{sermon}")
    said = other.locator(".sermon-comments .comments li", has_text="Small faith")
    said.locator("summary", has_text="Report").click()
    said.get_by_label("Why should a moderator look at this comment?").fill("Testing reports")
    said.get_by_role("button", name="Send report").click()
    other.wait_for_selector(
        ".sermon-comments .form-status:has-text('moderators will look at it')", timeout=10_000
    )
    queue = site.api("moderator", "GET", "/moderation/reports").json()["items"]
    assert any(
        r["reason"] == "Testing reports"
        and (r["comment"] or {}).get("text") == "Small faith, big God"
        for r in queue
    ), queue
