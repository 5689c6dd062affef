"""The community and moderation pages over HTTP, without a browser: who may open them, what a
member's page holds of an anonymous prayer request (never its author), the feed's keyset pages,
and a sermon's comments on its player page when its owner has switched them on."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import update

from models import User
from tests.conftest import Accounts
from tests.platform.images import photo
from tests.sermons import make_sermon
from tests.web.test_pages_http import CSRF, sign_in
from workers.db import session_scope

V1 = "/api/v1"


def _named(user: dict[str, str], name: str) -> None:
    with session_scope() as session:
        session.execute(update(User).where(User.id == user["id"]).values(display_name=name))


def _post(client: Any, user: dict[str, str], text: str, **fields: Any) -> dict[str, Any]:
    made = client.post(f"{V1}/posts", json={"text": text, **fields}, headers=Accounts.auth(user))
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def _as(client: Any, user: dict[str, str] | None) -> None:
    client.cookies.clear()
    if user is not None:
        assert sign_in(client, user).status_code == 303


def test_a_visitor_is_asked_to_sign_in_and_only_moderators_open_moderation(
    client: Any, accounts: Accounts
) -> None:
    member = accounts.make("listener")
    post = _post(client, member, "Thank you for Sunday")
    for path in ("/community", f"/community/{post['id']}", f"/community/{post['id']}/card"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code in (302, 303, 307), path
        assert answer.headers["location"] == f"/login?next={path}"
    anonymous = client.get("/moderation", follow_redirects=False)
    assert anonymous.headers["location"] == "/login?next=/moderation"

    for role, may_moderate in (
        ("listener", False), ("creator", False), ("moderator", True), ("admin", True),
    ):  # fmt: skip
        _as(client, accounts.make(role))
        feed = client.get("/community")
        assert feed.status_code == 200, role
        assert "Thank you for Sunday" in feed.text
        assert ('href="/moderation"' in feed.text) is may_moderate, role
        moderation = client.get("/moderation")
        assert moderation.status_code == (200 if may_moderate else 403), role
        if not may_moderate:
            assert 'data-code="forbidden"' in moderation.text


def test_a_members_pages_never_hold_the_name_of_an_anonymous_prayer_requests_author(
    client: Any, accounts: Accounts
) -> None:
    asker, member, moderator = (
        accounts.make("listener"), accounts.make("listener"), accounts.make("moderator"),
    )  # fmt: skip
    _named(asker, "Hannah Quietly")
    _named(member, "Samuel Reader")
    request = _post(
        client, asker, "Please pray for my mother", kind="prayer_request", anonymous=True
    )
    reply = client.post(
        f"{V1}/posts/{request['id']}/comments",
        json={"text": "Thank you all, she is home"},
        headers=Accounts.auth(asker),
    )
    assert reply.status_code == 201, reply.text
    report = client.post(
        f"{V1}/posts/{request['id']}/reports",
        json={"reason": "checking"},
        headers=Accounts.auth(member),
    )
    assert report.status_code == 201, report.text
    secrets = [asker["id"], asker["email"], "Hannah Quietly", "Hannah"]

    _as(client, member)
    pages = [
        client.get("/community"),
        client.get(f"/community/{request['id']}"),
        client.get(f"/community/{request['id']}/card", params={"comments": "true"}),
    ]
    for answer in pages:
        assert answer.status_code == 200
        assert "Please pray for my mother" in answer.text
        assert "someone who asked not to be named" in answer.text
        for secret in secrets:
            assert secret not in answer.text, (answer.url, secret)
    assert "Thank you all, she is home" in pages[1].text
    assert "The person who asked" in pages[1].text
    assert "Mark answered" not in pages[1].text  # only its author marks it

    _as(client, asker)  # its author sees it is theirs, and that the name is hidden
    own = client.get(f"/community/{request['id']}").text
    assert "Your name is hidden from other members" in own
    assert "Mark answered" in own

    _as(client, moderator)  # moderators always see who asked
    for path in (f"/community/{request['id']}", "/moderation"):
        seen = client.get(path)
        assert seen.status_code == 200
        assert "Hannah Quietly" in seen.text, path


def test_the_feed_pages_on_to_older_posts_newest_first(client: Any, accounts: Accounts) -> None:
    member = accounts.make("moderator")  # not rate-limited: 23 posts at once
    for number in range(23):
        _post(client, member, f"Numbered post {number:02d}")
    _as(client, member)
    first = client.get("/community").text
    shown = re.findall(r"<p class=\"post-text\">Numbered post (\d\d)", first)
    assert shown == [f"{n:02d}" for n in range(22, 2, -1)]
    older = re.search(r'href="(/community\?cursor=[^"]+)" rel="next"', first)
    assert older, first
    second = client.get(older[1].replace("&amp;", "&")).text
    assert re.findall(r"<p class=\"post-text\">Numbered post (\d\d)", second) == ["02", "01", "00"]
    assert 'rel="next"' not in second
    stale = client.get("/community", params={"cursor": "not-a-cursor"})
    assert stale.status_code == 200
    assert 'class="problem"' in stale.text
    assert "Numbered post 22" in stale.text


def test_a_sermons_comments_show_on_its_player_page_while_its_owner_has_them_on(
    client: Any, accounts: Accounts
) -> None:
    owner, member = accounts.make("creator"), accounts.make("listener")
    sermon = make_sermon(owner["id"], title="The Prodigal Son")
    switch = f"{V1}/content/{sermon}/comments/enabled"
    assert client.get(f"/library/{sermon}").text.count('class="sermon-comments"') == 0
    assert client.put(switch, json={"enabled": True}, headers=Accounts.auth(owner)).is_success
    said = client.post(
        f"{V1}/content/{sermon}/comments",
        json={"text": "This one changed my week"},
        headers=Accounts.auth(member),
    )
    assert said.status_code == 201, said.text

    visitor = client.get(f"/library/{sermon}").text
    assert "This one changed my week" in visitor
    assert f'href="/login?next=/library/{sermon}"' in visitor
    assert 'name="cnt-token"' not in visitor
    _as(client, member)
    signed = client.get(f"/library/{sermon}").text
    assert 'id="comment-on--content-' in signed  # the box to write in
    assert 'name="cnt-token"' in signed

    assert client.put(switch, json={"enabled": False}, headers=Accounts.auth(owner)).is_success
    assert "This one changed my week" not in client.get(f"/library/{sermon}").text


def test_without_javascript_a_member_posts_a_prayer_request_with_a_photo_and_comments(
    client: Any, accounts: Accounts
) -> None:
    asker, member = accounts.make("listener"), accounts.make("listener")
    _named(asker, "Hannah Quietly")
    sermon = make_sermon(accounts.make("creator")["id"], title="Be Still")
    _as(client, asker)
    feed = client.get("/community").text
    token = CSRF.search(feed)
    assert token and 'enctype="multipart/form-data"' in feed
    refused = client.post("/community", data={"text": "no token"}, follow_redirects=False)
    assert refused.status_code == 403

    posted = client.post(
        "/community",
        data={
            "_csrf_token": token[1],
            "text": "Please pray for our family this week",
            "kind": "prayer_request",
            "anonymous": "on",
            "sermon": f"https://church.test/library/{sermon}?t=12",
        },
        files={"image": ("family.jpg", photo(800, 600), "image/jpeg")},
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text
    post_page = posted.headers["location"]
    post_id = post_page.rsplit("/", 1)[1]
    shown = client.get(post_page).text
    assert "Please pray for our family this week" in shown
    assert f'href="/library/{sermon}"' in shown and "Be Still" in shown
    assert re.search(r'<img src="[^"]+/community/posts/' + post_id, shown), shown

    # A member's comment and reply through the page's own form.
    _as(client, member)
    page_text = client.get(post_page).text
    assert "Hannah" not in page_text
    token = CSRF.search(page_text)
    assert token
    said = client.post(
        f"/community/{post_id}/comments",
        data={"_csrf_token": token[1], "text": "Praying with you"},
        follow_redirects=False,
    )
    assert said.status_code == 303
    assert said.headers["location"].startswith(f"/community/{post_id}#comment-")
    comment_id = said.headers["location"].split("#comment-")[1]
    replied = client.post(
        f"/community/{post_id}/comments",
        data={"_csrf_token": token[1], "text": "And me", "parent_id": comment_id},
        follow_redirects=False,
    )
    assert replied.status_code == 303
    thread = client.get(post_page).text
    assert re.search(
        r'id="comment-' + comment_id + r'".*Praying with you.*class="replies".*And me',
        thread,
        flags=re.S,
    ), thread

    # Bad input gets the API's own sentence, as a page.
    wrong = client.post(
        "/community",
        data={"_csrf_token": token[1], "text": "A post", "kind": "post", "anonymous": "on"},
        follow_redirects=False,
    )
    assert wrong.status_code == 422
    assert "only prayer requests can hide their author" in wrong.text
