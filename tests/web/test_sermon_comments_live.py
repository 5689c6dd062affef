"""A sermon's comments are live: what one person writes under the player reaches another's open
page of that sermon without a reload (a visitor's too), an edit changes it there and a
moderator's hide takes it away; and the comments of a sermon nobody else may see reach nobody
else, neither on the sermon's stream nor on the members' `community` stream."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx

from tests.sermons import make_sermon
from tests.web.conftest import Site, axe, sign_in

# How long an event has to arrive; how long we listen for one that must not.
ARRIVES_S = 10.0
SILENT_S = 2.0


class Stream:
    """An open Server-Sent Events stream of the API, read by a thread into a queue of
    (event type, data). Opening waits for the answer's headers: from then on the server has
    fixed where the stream starts, so nothing published after it is missed."""

    def __init__(self, stack: ExitStack, url: str, token: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = stack.enter_context(httpx.Client(timeout=httpx.Timeout(10, read=None)))
        self.response = stack.enter_context(client.stream("GET", url, headers=headers))
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        if self.response.status_code == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        kind, data = "message", ""
        try:
            for line in self.response.iter_lines():
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
                elif not line and data:
                    self.events.put((kind, json.loads(data)))
                    kind, data = "message", ""
        except httpx.HTTPError:
            pass  # closed by the test's end

    def next(self, timeout: float = ARRIVES_S) -> tuple[str, dict[str, Any]]:
        return self.events.get(timeout=timeout)

    def comment_texts(self, within: float) -> list[str]:
        """The text of every comment event that arrives within `within` seconds."""
        texts: list[str] = []
        try:
            while True:
                _, event = self.events.get(timeout=within)
                if "comment" in event:
                    texts.append(event["comment"]["text"])
        except queue.Empty:
            return texts


def _sermon_with_comments(site: Site, title: str) -> str:
    owner_id = site.api("creator", "GET", "/auth/me").json()["id"]
    sermon = make_sermon(owner_id, title=title)
    switched = site.api(
        "creator", "PUT", f"/content/{sermon}/comments/enabled", json={"enabled": True}
    )
    assert switched.status_code == 200, switched.text
    return sermon


def _comments(page: Any) -> Any:
    return page.locator(".sermon-comments .comments")


def test_a_comment_reaches_another_open_sermon_page_and_a_moderators_hide_takes_it_away(
    site: Site, page: Any, new_page: Callable[[], Any]
) -> None:
    sermon = _sermon_with_comments(site, "Salt and Light")
    visitor = new_page()  # not signed in: a visitor sees what members say, live
    visitor.goto(f"{site.base}/library/{sermon}")
    visitor.evaluate("() => { window.notReloaded = true; }")
    other = new_page()
    sign_in(other, site.base, site.user("creator"), then=f"/library/{sermon}")
    other.evaluate("() => { window.notReloaded = true; }")

    sign_in(page, site.base, site.user("listener"), then=f"/library/{sermon}")
    section = page.locator(".sermon-comments")
    section.get_by_label("Your comment").fill("A city on a hill cannot be hidden")
    section.get_by_role("button", name="Comment", exact=True).click()
    page.wait_for_selector(".sermon-comments .comments li:has-text('city on a hill')")

    for reader in (visitor, other):
        reader.wait_for_selector(
            ".sermon-comments .comments li:has-text('city on a hill')", timeout=10_000
        )
        assert reader.evaluate("() => window.notReloaded === true")
    comment_id = _comments(visitor).locator("li").first.get_attribute("data-comment-id")
    assert comment_id
    axe(visitor)

    # A reply from the other member's page reaches the first one, nested under its comment.
    said = _comments(other).locator(f"li[data-comment-id='{comment_id}']")
    said.locator("summary", has_text="Reply").click()
    said.get_by_label("Your reply").fill("Let your light shine")
    said.get_by_role("button", name="Reply").click()
    page.wait_for_selector(
        f".sermon-comments li[data-comment-id='{comment_id}'] .replies li:has-text('light shine')",
        timeout=10_000,
    )

    # Its author corrects it through the API: every open page shows the new words.
    edited = site.api(
        "listener",
        "PATCH",
        f"/content/{sermon}/comments/{comment_id}",
        json={"text": "A city set on a hill cannot be hidden"},
    )
    assert edited.status_code == 200, edited.text
    for reader in (visitor, other):
        reader.wait_for_selector(
            ".sermon-comments .comments li:has-text('city set on a hill')", timeout=10_000
        )

    # A moderator hides it: it leaves the open pages, replies and all, without a reload.
    hidden = site.api(
        "moderator",
        "POST",
        f"/moderation/comments/{comment_id}",
        json={"action": "hide", "reason": "testing live removal"},
    )
    assert hidden.status_code == 200, hidden.text
    for reader in (visitor, other):
        reader.wait_for_selector(
            f".sermon-comments li[data-comment-id='{comment_id}']", state="detached", timeout=10_000
        )
        assert "city set on a hill" not in _comments(reader).inner_text()
        assert "light shine" not in _comments(reader).inner_text()
        assert reader.evaluate("() => window.notReloaded === true")
    axe(visitor)

    # Restored, it comes back on its own.
    restored = site.api(
        "moderator",
        "POST",
        f"/moderation/comments/{comment_id}",
        json={"action": "restore", "reason": "a mistake"},
    )
    assert restored.status_code == 200, restored.text
    visitor.wait_for_selector(
        ".sermon-comments .comments li:has-text('city set on a hill')", timeout=10_000
    )


def test_a_private_sermons_comments_reach_only_those_who_may_see_it(site: Site) -> None:
    sermon = _sermon_with_comments(site, "The Narrow Gate")
    stream_url = f"{site.base}/api/v1/content/{sermon}/comments/events"
    owner_token = site.user("creator")["access_token"]
    with ExitStack() as stack:
        anonymous = Stream(stack, stream_url)
        owner = Stream(stack, stream_url, owner_token)
        member = Stream(stack, f"{site.base}/api/v1/community/events", owner_token)
        assert anonymous.response.status_code == 200
        assert owner.response.status_code == 200

        # While the sermon is public, a visitor's open stream hears its comments.
        said = site.api("listener", "POST", f"/content/{sermon}/comments", json={"text": "Amen"})
        assert said.status_code == 201, said.text
        kind, event = anonymous.next()
        assert (kind, event["comment"]["text"]) == ("comment_created", "Amen")

        made_private = site.api(
            "creator", "PATCH", f"/content/{sermon}", json={"visibility": "private"}
        )
        assert made_private.status_code == 200, made_private.text
        note = site.api(
            "creator", "POST", f"/content/{sermon}/comments", json={"text": "Only for me now"}
        )
        assert note.status_code == 201, note.text

        assert "Only for me now" in owner.comment_texts(within=ARRIVES_S / 2)
        assert "Only for me now" not in anonymous.comment_texts(within=SILENT_S)
        # Nor does a sermon's comment go out to every member on the community's stream.
        assert member.comment_texts(within=SILENT_S) == []

    # A visitor cannot open the private sermon's stream at all.
    refused = httpx.get(stream_url, timeout=10)
    assert refused.status_code == 404, refused.text
