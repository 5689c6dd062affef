"""The community on the real API, PostgreSQL and Redis: posts, prayer requests whose author
stays hidden, reactions, reports, moderation, mutes, the word list and the posting rate."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from models import Post, utcnow
from settings import get_settings
from tests.conftest import Accounts
from tests.platform.images import photo
from tests.sermons import make_sermon
from workers.db import session_scope

V1 = "/api/v1"


def _post(client, user: dict[str, str], text: str = "Good morning, church", **fields: Any) -> dict:  # type: ignore[no-untyped-def,type-arg]
    response = client.post(
        f"{V1}/posts", json={"text": text, **fields}, headers=Accounts.auth(user)
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _name(client, user: dict[str, str], name: str) -> None:  # type: ignore[no-untyped-def]
    with session_scope() as session:
        from models import User

        session.execute(update(User).where(User.id == user["id"]).values(display_name=name))


def _socket_path(user: dict[str, str]) -> str:
    return f"{V1}/community/ws?token={user['access_token']}"


def test_an_anonymous_prayer_requests_author_never_reaches_another_member(
    client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    asker, member, moderator = (
        accounts.make("listener"),
        accounts.make("listener"),
        accounts.make("moderator"),
    )
    _name(client, asker, "Hannah Quietly")
    secrets_of_the_asker = [asker["id"], asker["email"], "Hannah Quietly"]
    with client.websocket_connect(_socket_path(member)) as socket:
        assert socket.receive_json(timeout=10)["type"] == "ready"
        request = _post(
            client,
            asker,
            "Please pray for my mother's surgery",
            kind="prayer_request",
            anonymous=True,
        )
        created = socket.receive_json(timeout=10)
        assert created["type"] == "post_created"
        # The author comments under their own request: still nobody to members.
        comment = client.post(
            f"{V1}/posts/{request['id']}/comments",
            json={"text": "Thank you all"},
            headers=Accounts.auth(asker),
        )
        assert comment.status_code == 201
        commented = socket.receive_json(timeout=10)
    assert commented["type"] == "comment_created"

    seen_by_member: list[Any] = [created, commented]
    m = Accounts.auth(member)
    reaction = client.post(
        f"{V1}/posts/{request['id']}/reactions", json={"kind": "praying"}, headers=m
    )
    report = client.post(
        f"{V1}/posts/{request['id']}/reports", json={"reason": "checking"}, headers=m
    )
    for response in (
        client.get(f"{V1}/posts", headers=m),
        client.get(f"{V1}/posts", params={"kind": "prayer_request"}, headers=m),
        client.get(f"{V1}/posts/{request['id']}", headers=m),
        client.get(f"{V1}/posts/{request['id']}/comments", headers=m),
        reaction,
        report,
    ):
        assert response.status_code in (200, 201), response.text
        seen_by_member.append(response.json())
    detail = seen_by_member[4]
    assert detail["author"] is None and detail["anonymous"] is True
    assert detail["comments"][0]["author"] is None
    assert detail["reactions"] == {"praying": 1}
    text = json.dumps(seen_by_member)
    for secret in secrets_of_the_asker:
        assert secret not in text, f"{secret} reached a member"

    # Moderators always know who asked; so does the asker.
    as_moderator = client.get(f"{V1}/posts/{request['id']}", headers=Accounts.auth(moderator))
    assert as_moderator.json()["author"] == {"id": asker["id"], "name": "Hannah Quietly"}
    queue = client.get(f"{V1}/moderation/reports", headers=Accounts.auth(moderator)).json()
    assert queue["items"][0]["post"]["author"]["id"] == asker["id"]
    own = client.get(f"{V1}/posts/{request['id']}", headers=Accounts.auth(asker)).json()
    assert own["author"]["id"] == asker["id"]


def test_only_a_prayer_request_hides_its_author(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    member = accounts.make("listener")
    response = client.post(
        f"{V1}/posts", json={"text": "hi", "anonymous": True}, headers=Accounts.auth(member)
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"


def test_a_reaction_is_counted_once_per_member(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    author, first, second = (accounts.make("listener") for _ in range(3))
    post = _post(client, author)
    url = f"{V1}/posts/{post['id']}/reactions"
    for kind in ("amen", "amen", "like"):
        answer = client.post(url, json={"kind": kind}, headers=Accounts.auth(first))
        assert answer.status_code == 200
    answer = client.post(url, json={"kind": "amen"}, headers=Accounts.auth(second)).json()
    assert answer["reactions"] == {"amen": 2, "like": 1}
    assert answer["my_reactions"] == ["amen"]
    detail = client.get(f"{V1}/posts/{post['id']}", headers=Accounts.auth(first)).json()
    assert detail["reactions"] == {"amen": 2, "like": 1}
    assert detail["my_reactions"] == ["amen", "like"]
    taken_back = client.delete(f"{url}/amen", headers=Accounts.auth(first)).json()
    assert taken_back["reactions"] == {"amen": 1, "like": 1}
    refused = client.post(url, json={"kind": "love"}, headers=Accounts.auth(first))
    assert refused.status_code == 400


def test_a_reported_post_hidden_by_a_moderator_leaves_every_listing_and_its_event_is_heard(
    client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    author, reporter, bystander, moderator = (
        accounts.make("listener"),
        accounts.make("listener"),
        accounts.make("listener"),
        accounts.make("moderator"),
    )
    post = _post(client, author, "Buy cheap watches at spam.example")
    kept = _post(client, author, "See you on Sunday")
    report = client.post(
        f"{V1}/posts/{post['id']}/reports",
        json={"reason": "spam"},
        headers=Accounts.auth(reporter),
    )
    assert report.status_code == 201
    queue = client.get(f"{V1}/moderation/reports", headers=Accounts.auth(moderator)).json()
    assert [r["target_id"] for r in queue["items"]] == [post["id"]]
    assert (
        client.get(f"{V1}/moderation/reports", headers=Accounts.auth(reporter)).status_code == 403
    )

    with client.websocket_connect(_socket_path(bystander)) as socket:
        assert socket.receive_json(timeout=10)["type"] == "ready"
        hidden = client.post(
            f"{V1}/moderation/posts/{post['id']}",
            json={"action": "hide", "reason": "spam"},
            headers=Accounts.auth(moderator),
        )
        assert hidden.status_code == 200 and hidden.json()["status"] == "hidden"
        event = socket.receive_json(timeout=10)
    assert event == {"id": event["id"], "type": "post_removed", "post_id": post["id"]}

    b = Accounts.auth(bystander)
    feed = client.get(f"{V1}/posts", headers=b).json()
    assert [p["id"] for p in feed["items"]] == [kept["id"]]
    prayer_feed = client.get(f"{V1}/posts", params={"kind": "post"}, headers=b).json()
    assert post["id"] not in [p["id"] for p in prayer_feed["items"]]
    assert client.get(f"{V1}/posts/{post['id']}", headers=b).status_code == 404
    assert client.get(f"{V1}/posts/{post['id']}/comments", headers=b).status_code == 404
    assert (
        client.get(f"{V1}/posts/{post['id']}", headers=Accounts.auth(moderator)).status_code == 200
    )
    assert (
        client.get(f"{V1}/moderation/reports", headers=Accounts.auth(moderator)).json()["items"]
        == []
    )
    log = client.get(f"{V1}/moderation/log", headers=Accounts.auth(moderator)).json()
    entry = log["items"][0]
    assert (entry["action"], entry["target_id"], entry["reason"]) == ("hide", post["id"], "spam")


def test_a_muted_members_message_is_refused_until_unmuted(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    member, moderator = accounts.make("listener"), accounts.make("moderator")
    post = _post(client, member)
    muted = client.post(
        f"{V1}/moderation/mutes",
        json={"user_id": member["id"], "minutes": 60, "reason": "cooling off"},
        headers=Accounts.auth(moderator),
    )
    assert muted.status_code == 201, muted.text
    refused = client.post(f"{V1}/posts", json={"text": "again"}, headers=Accounts.auth(member))
    assert refused.status_code == 403 and refused.json()["code"] == "muted"
    comment = client.post(
        f"{V1}/posts/{post['id']}/comments", json={"text": "x"}, headers=Accounts.auth(member)
    )
    assert comment.status_code == 403 and comment.json()["code"] == "muted"
    unmuted = client.delete(
        f"{V1}/moderation/mutes/{member['id']}", headers=Accounts.auth(moderator)
    )
    assert unmuted.status_code == 204
    _post(client, member, "back again")


def test_the_word_list_holds_a_post_back_for_review(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    member, other, moderator = (
        accounts.make("listener"),
        accounts.make("listener"),
        accounts.make("moderator"),
    )
    added = client.post(
        f"{V1}/moderation/words", json={"word": "Casino"}, headers=Accounts.auth(moderator)
    )
    assert added.json() == ["casino"]
    held = _post(client, member, "Join my CASINO night")
    assert held["status"] == "held"
    _post(client, member, "Casinos are a word that does not match whole")  # not the whole word
    assert held["id"] not in [
        p["id"] for p in client.get(f"{V1}/posts", headers=Accounts.auth(other)).json()["items"]
    ]
    queue = client.get(f"{V1}/moderation/held", headers=Accounts.auth(moderator)).json()
    assert [p["id"] for p in queue["posts"]] == [held["id"]]
    approved = client.post(
        f"{V1}/moderation/posts/{held['id']}",
        json={"action": "approve"},
        headers=Accounts.auth(moderator),
    )
    assert approved.json()["status"] == "visible"
    assert held["id"] in [
        p["id"] for p in client.get(f"{V1}/posts", headers=Accounts.auth(other)).json()["items"]
    ]


def test_posting_is_rate_limited_per_member(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    eager, other = accounts.make("listener"), accounts.make("listener")
    for n in range(5):
        _post(client, eager, f"post {n}")
    refused = client.post(f"{V1}/posts", json={"text": "one more"}, headers=Accounts.auth(eager))
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    _post(client, other, "mine is fine")


def test_authors_edit_within_the_window_and_delete_their_own(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    author, other = accounts.make("listener"), accounts.make("listener")
    post = _post(client, author, "Typo in here")
    url = f"{V1}/posts/{post['id']}"
    edited = client.patch(url, json={"text": "No typo"}, headers=Accounts.auth(author))
    assert edited.json()["text"] == "No typo" and edited.json()["edited_at"]
    assert client.patch(url, json={"text": "mine"}, headers=Accounts.auth(other)).status_code == 403
    assert client.delete(url, headers=Accounts.auth(other)).status_code == 403
    with session_scope() as session:
        session.execute(
            update(Post)
            .where(Post.id == post["id"])
            .values(created_at=utcnow() - timedelta(hours=1))
        )
    late = client.patch(url, json={"text": "later"}, headers=Accounts.auth(author))
    assert late.status_code == 409 and late.json()["code"] == "edit_window_closed"
    assert client.delete(url, headers=Accounts.auth(author)).status_code == 204
    assert client.get(url, headers=Accounts.auth(author)).status_code == 404


def test_a_prayer_request_is_marked_answered_by_its_author(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    author = accounts.make("listener")
    request = _post(client, author, "Pray for rain", kind="prayer_request")
    answered = client.patch(
        f"{V1}/posts/{request['id']}", json={"answered": True}, headers=Accounts.auth(author)
    )
    assert answered.status_code == 200 and answered.json()["answered_at"]


def test_replies_go_one_level_deep(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    author, other = accounts.make("listener"), accounts.make("listener")
    post = _post(client, author)
    url = f"{V1}/posts/{post['id']}/comments"
    top = client.post(url, json={"text": "Amen"}, headers=Accounts.auth(other)).json()
    reply = client.post(
        url, json={"text": "Indeed", "parent_id": top["id"]}, headers=Accounts.auth(author)
    )
    assert reply.status_code == 201
    deeper = client.post(
        url,
        json={"text": "too deep", "parent_id": reply.json()["id"]},
        headers=Accounts.auth(other),
    )
    assert deeper.status_code == 422
    thread = client.get(url, headers=Accounts.auth(other)).json()["items"]
    assert [(c["text"], [r["text"] for r in c["replies"]]) for c in thread] == [
        ("Amen", ["Indeed"])
    ]


def test_a_removed_posts_image_is_deleted_from_storage(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    member, moderator = accounts.make("listener"), accounts.make("moderator")
    image = base64.b64encode(photo(800, 600)).decode()
    post = _post(client, member, "Our new hall", image=image)
    assert {(i["format"], i["width"]) for i in post["image"]} == {
        ("webp", 480),
        ("jpeg", 480),
        ("webp", 800),
        ("jpeg", 800),
    }
    root = get_settings().storage_path
    files = [
        root / f"community/posts/{post['id']}/image/{i['width']}.{i['format']}"
        for i in post["image"]
    ]
    assert all(f.exists() for f in files)
    removed = client.post(
        f"{V1}/moderation/posts/{post['id']}",
        json={"action": "remove", "reason": "not ours to share"},
        headers=Accounts.auth(moderator),
    )
    assert removed.json()["status"] == "removed" and removed.json()["image"] == []
    assert not any(f.exists() for f in files)


def test_a_bomb_as_a_post_image_is_refused_with_a_clear_error(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    from tests.platform.images import png_bomb

    member = accounts.make("listener")
    response = client.post(
        f"{V1}/posts",
        json={"text": "look", "image": base64.b64encode(png_bomb(10_000)).decode()},
        headers=Accounts.auth(member),
    )
    assert response.status_code == 413
    assert response.json()["code"] == "image_too_large"
    assert "10000x10000" in response.json()["detail"]


def test_sermon_comments_follow_their_owners_switch(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    creator, member = accounts.make("creator"), accounts.make("listener")
    sermon = make_sermon(creator["id"])
    url = f"{V1}/content/{sermon}/comments"
    closed = client.post(url, json={"text": "Great word"}, headers=Accounts.auth(member))
    assert closed.status_code == 403 and closed.json()["code"] == "comments_closed"
    assert (
        client.put(
            f"{url}/enabled", json={"enabled": True}, headers=Accounts.auth(member)
        ).status_code
        == 403
    )
    switched = client.put(f"{url}/enabled", json={"enabled": True}, headers=Accounts.auth(creator))
    assert switched.json() == {"content_id": sermon, "enabled": True}
    assert (
        client.post(url, json={"text": "Great word"}, headers=Accounts.auth(member)).status_code
        == 201
    )
    listed = client.get(url).json()  # public sermon: anyone reads its comments
    assert listed["enabled"] is True and [c["text"] for c in listed["items"]] == ["Great word"]
    linked = _post(client, member, "Listen to this one", content_id=sermon)
    assert linked["content"]["id"] == sermon
