"""Answers each API process keeps for many callers: the community feed (one per audience, with no
caller's own data), public playlist pages, and accounts' roles. Every change is seen on the
next request, whether this process made it or another one did (PostgreSQL's notification)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import update

from models import Comment, Content, Playlist, Post, User
from tests.conftest import Accounts
from tests.sermons import make_sermon
from workers.db import session_scope

V1 = "/api/v1"


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.01)


@contextmanager
def _elsewhere(app) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A write by another process (a worker, another API process, psql): only PostgreSQL's
    notification tells this one. Waits until it has arrived (no timing is asserted)."""
    cache, roles = app.state.response_cache, app.state.role_cache
    before = (cache.invalidations, roles.generation)
    with session_scope() as session:
        yield session
    _wait_until(
        lambda: (cache.invalidations, roles.generation) != before, "the notification arrived"
    )


def _post(client, user: dict[str, str], text: str, **fields: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    answer = client.post(f"{V1}/posts", json={"text": text, **fields}, headers=Accounts.auth(user))
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _feed(client, user: dict[str, str]) -> tuple[list[dict[str, Any]], str]:  # type: ignore[no-untyped-def]
    answer = client.get(f"{V1}/posts", headers=Accounts.auth(user))
    assert answer.status_code == 200, answer.text
    return answer.json()["items"], answer.headers.get("x-cache", "")


def _cached_feed(client, user: dict[str, str]) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Ask until the feed comes from the cache: a later change must drop it to be seen."""
    for _ in range(20):
        items, _ = _feed(client, user)
        again, source = _feed(client, user)
        if source == "hit":
            assert again == items
            return again
    raise AssertionError("the feed never stayed in the cache")


def _texts(items: list[dict[str, Any]]) -> list[str]:
    return [item["text"] for item in items]


def test_the_feed_is_kept_per_audience_and_holds_nobodys_own_data(
    client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    asker, member, moderator = (
        accounts.make("listener"),
        accounts.make("listener"),
        accounts.make("moderator"),
    )
    request = _post(client, asker, "Pray for my exams", kind="prayer_request", anonymous=True)
    reacted = client.post(
        f"{V1}/posts/{request['id']}/reactions",
        json={"kind": "amen"},
        headers=Accounts.auth(member),
    )
    assert reacted.status_code == 200, reacted.text

    seen_by_member = _cached_feed(client, member)
    # The asker, another member of the same audience, is answered from the same kept page:
    # their own name is not in it, nor is the member's reaction.
    seen_by_asker, source = _feed(client, asker)
    assert source == "hit"
    assert seen_by_asker == seen_by_member
    (item,) = seen_by_member
    assert item["author"] is None and item["my_reactions"] == []
    assert item["reactions"] == {"amen": 1}
    assert asker["id"] not in str(seen_by_member)

    (as_moderator,) = _cached_feed(client, moderator)
    assert as_moderator["author"]["id"] == asker["id"]

    # Each member's own reactions, for a page of posts, in a small call of their own.
    mine = client.get(
        f"{V1}/me/reactions", params={"post_id": [request["id"]]}, headers=Accounts.auth(member)
    )
    assert mine.status_code == 200, mine.text
    assert mine.json() == {"reactions": {request["id"]: ["amen"]}}
    theirs = client.get(
        f"{V1}/me/reactions", params={"post_id": [request["id"]]}, headers=Accounts.auth(asker)
    )
    assert theirs.json() == {"reactions": {}}
    assert client.get(f"{V1}/me/reactions", params={"post_id": [request["id"]]}).status_code == 401


def test_a_kept_feed_shows_a_new_post_an_edit_and_a_hide_on_the_next_request(
    app, client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    author, member, moderator = (
        accounts.make("listener"),
        accounts.make("listener"),
        accounts.make("moderator"),
    )
    first = _post(client, author, "Good morning")
    assert _texts(_cached_feed(client, member)) == ["Good morning"]

    second = _post(client, author, "Choir practice at six")
    assert _texts(_feed(client, member)[0]) == ["Choir practice at six", "Good morning"]

    _cached_feed(client, member)
    edited = client.patch(
        f"{V1}/posts/{second['id']}",
        json={"text": "Choir practice at seven"},
        headers=Accounts.auth(author),
    )
    assert edited.status_code == 200, edited.text
    assert _texts(_feed(client, member)[0]) == ["Choir practice at seven", "Good morning"]

    _cached_feed(client, member)
    hidden = client.post(
        f"{V1}/moderation/posts/{first['id']}",
        json={"action": "hide", "reason": "spam"},
        headers=Accounts.auth(moderator),
    )
    assert hidden.status_code == 200, hidden.text
    assert _texts(_feed(client, member)[0]) == ["Choir practice at seven"]

    # Changes written by another process reach this one's kept page through PostgreSQL.
    _cached_feed(client, member)
    with _elsewhere(app) as session:
        session.execute(update(Post).where(Post.id == second["id"]).values(status="hidden"))
    assert _feed(client, member)[0] == []

    with _elsewhere(app) as session:
        session.execute(update(Post).where(Post.id == first["id"]).values(status="visible"))
    (shown,) = _cached_feed(client, member)
    assert shown["comment_count"] == 0 and shown["author"]["name"] == "Member"
    with _elsewhere(app) as session:
        session.add(Comment(post_id=first["id"], author_id=member["id"], text="Amen"))
    assert _feed(client, member)[0][0]["comment_count"] == 1

    _cached_feed(client, member)
    with _elsewhere(app) as session:
        session.execute(update(User).where(User.id == author["id"]).values(display_name="Ruth"))
    assert _feed(client, member)[0][0]["author"]["name"] == "Ruth"


def test_a_kept_playlist_page_drops_a_sermon_made_private_on_the_next_request(
    app, client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    shepherd = make_sermon(creator["id"], title="The Good Shepherd")
    prodigal = make_sermon(creator["id"], title="The Prodigal Son")
    made = client.post(
        f"{V1}/playlists",
        json={"title": "Parables", "visibility": "public"},
        headers=Accounts.auth(creator),
    )
    assert made.status_code == 201, made.text
    path = f"{V1}/playlists/{made.json()['id']}"
    for content_id in (shepherd, prodigal):
        added = client.post(
            f"{path}/items", json={"content_id": content_id}, headers=Accounts.auth(creator)
        )
        assert added.status_code == 201, added.text

    def anonymous_view() -> tuple[int, list[str], str]:
        answer = client.get(path)
        items = [i["content_id"] for i in answer.json().get("items", [])]
        return answer.status_code, items, answer.headers.get("x-cache", "")

    def kept() -> list[str]:
        _wait_until(lambda: anonymous_view()[2] == "hit", "the page was kept")
        return anonymous_view()[1]

    assert kept() == [shepherd, prodigal]
    private = client.patch(
        f"{V1}/content/{shepherd}", json={"visibility": "private"}, headers=Accounts.auth(creator)
    )
    assert private.status_code == 200, private.text
    assert anonymous_view()[:2] == (200, [prodigal])

    assert kept() == [prodigal]
    with _elsewhere(app) as session:
        session.execute(update(Content).where(Content.id == prodigal).values(visibility="private"))
    assert anonymous_view()[:2] == (200, [])

    kept()
    with _elsewhere(app) as session:
        session.execute(
            update(Playlist).where(Playlist.title == "Parables").values(visibility="private")
        )
    assert anonymous_view()[0] == 404
    # A signed-in caller's view is never kept: it may hold what only they may see.
    mine = client.get(path, headers=Accounts.auth(creator))
    assert mine.status_code == 200 and "x-cache" not in mine.headers
    assert [i["content_id"] for i in mine.json()["items"]] == [shepherd, prodigal]


def _reports(client, user: dict[str, str]) -> int:  # type: ignore[no-untyped-def]
    return client.get(f"{V1}/moderation/reports", headers=Accounts.auth(user)).status_code  # type: ignore[no-any-return]


def test_a_role_change_or_a_disabled_account_takes_effect_on_the_next_request(
    app, client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    admin, member = accounts.make("admin"), accounts.make("listener")
    assert _reports(client, member) == 403
    assert len(app.state.role_cache) > 0  # the standing read once is kept

    promoted = client.patch(
        f"{V1}/users/{member['id']}/role", json={"role": "moderator"}, headers=Accounts.auth(admin)
    )
    assert promoted.status_code == 200, promoted.text
    assert _reports(client, member) == 200  # the same token: its role claim is stale

    # Demoted by another process (the CLI, another API worker): PostgreSQL tells this one.
    with _elsewhere(app) as session:
        session.execute(update(User).where(User.id == member["id"]).values(role="listener"))
    assert _reports(client, member) == 403

    disabled = client.patch(
        f"{V1}/users/{member['id']}", json={"disabled": True}, headers=Accounts.auth(admin)
    )
    assert disabled.status_code == 200, disabled.text
    refused = client.get(f"{V1}/posts", headers=Accounts.auth(member))
    assert refused.status_code == 401

    with _elsewhere(app) as session:
        session.execute(update(User).where(User.id == member["id"]).values(disabled=False))
    assert client.get(f"{V1}/posts", headers=Accounts.auth(member)).status_code == 200
    with _elsewhere(app) as session:
        session.execute(update(User).where(User.id == member["id"]).values(disabled=True))
    assert client.get(f"{V1}/posts", headers=Accounts.auth(member)).status_code == 401
