"""Playlists, continue listening and favourites, through the real API on PostgreSQL."""

from __future__ import annotations

import feedparser
from sqlalchemy import select

from models import PlaybackProgress
from tests.conftest import Accounts
from tests.sermons import make_sermon
from workers.db import session_scope

V1 = "/api/v1"


def _playlist(client, owner: dict[str, str], **fields) -> dict:  # type: ignore[no-untyped-def,type-arg]
    body = {"title": "Advent", "visibility": "public", **fields}
    response = client.post(f"{V1}/playlists", json=body, headers=Accounts.auth(owner))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _add(client, owner: dict[str, str], playlist_id: str, content_id: str, **extra) -> dict:  # type: ignore[no-untyped-def,type-arg]
    response = client.post(
        f"{V1}/playlists/{playlist_id}/items",
        json={"content_id": content_id, **extra},
        headers=Accounts.auth(owner),
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _ids(client, playlist_id: str, headers: dict[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get(f"{V1}/playlists/{playlist_id}", headers=headers)
    assert response.status_code == 200, response.text
    return [item["content_id"] for item in response.json()["items"]]


def test_a_sermon_made_private_leaves_others_view_of_a_playlist_but_not_its_owners(
    client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    creator, listener = accounts.make("creator"), accounts.make("listener")
    shepherd = make_sermon(creator["id"], title="The Good Shepherd")
    prodigal = make_sermon(creator["id"], title="The Prodigal Son")
    playlist = _playlist(client, creator)
    _add(client, creator, playlist["id"], shepherd)
    _add(client, creator, playlist["id"], prodigal)
    # A listener's own playlist holding the same sermon.
    theirs = _playlist(client, listener, title="Mine", visibility="private")
    _add(client, listener, theirs["id"], shepherd)
    assert _ids(client, playlist["id"], Accounts.auth(listener)) == [shepherd, prodigal]

    made_private = client.patch(
        f"{V1}/content/{shepherd}", json={"visibility": "private"}, headers=Accounts.auth(creator)
    )
    assert made_private.status_code == 200, made_private.text

    assert _ids(client, playlist["id"], Accounts.auth(listener)) == [prodigal]
    assert _ids(client, playlist["id"], {}) == [prodigal]
    own_view = client.get(f"{V1}/playlists/{playlist['id']}", headers=Accounts.auth(creator))
    items = own_view.json()["items"]
    assert [(i["content_id"], i["available"]) for i in items] == [
        (shepherd, True),
        (prodigal, True),
    ]
    assert items[0]["content"]["title"] == "The Good Shepherd"
    # The listener's own playlist says something is gone, and nothing about what it was.
    mine = client.get(f"{V1}/playlists/{theirs['id']}", headers=Accounts.auth(listener)).json()
    assert mine["items"] == [
        {
            "content_id": shepherd,
            "position": 0,
            "added_at": mine["items"][0]["added_at"],
            "available": False,
            "content": None,
        }
    ]
    assert "Shepherd" not in str(mine)


def test_items_are_added_at_a_position_reordered_and_removed(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    a, b, c = (make_sermon(creator["id"], title=t) for t in ("A", "B", "C"))
    playlist = _playlist(client, creator)
    _add(client, creator, playlist["id"], a)
    _add(client, creator, playlist["id"], b)
    answer = _add(client, creator, playlist["id"], c, position=0)
    assert [i["content_id"] for i in answer["items"]] == [c, a, b]
    assert [i["position"] for i in answer["items"]] == [0, 1, 2]
    again = client.post(
        f"{V1}/playlists/{playlist['id']}/items",
        json={"content_id": a},
        headers=Accounts.auth(creator),
    )
    assert again.status_code == 409 and again.json()["code"] == "conflict"

    order = client.put(
        f"{V1}/playlists/{playlist['id']}/items",
        json={"content_ids": [b, a, c]},
        headers=Accounts.auth(creator),
    )
    assert [i["content_id"] for i in order.json()["items"]] == [b, a, c]
    partial = client.put(
        f"{V1}/playlists/{playlist['id']}/items",
        json={"content_ids": [b, a]},
        headers=Accounts.auth(creator),
    )
    assert partial.status_code == 422 and partial.json()["code"] == "invalid_input"

    gone = client.delete(
        f"{V1}/playlists/{playlist['id']}/items/{a}", headers=Accounts.auth(creator)
    )
    assert gone.status_code == 204
    assert _ids(client, playlist["id"], Accounts.auth(creator)) == [b, c]


def test_a_playlist_takes_only_content_its_owner_may_see(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    creator, listener = accounts.make("creator"), accounts.make("listener")
    hidden = make_sermon(creator["id"], visibility="private")
    playlist = _playlist(client, listener)
    response = client.post(
        f"{V1}/playlists/{playlist['id']}/items",
        json={"content_id": hidden},
        headers=Accounts.auth(listener),
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_only_creators_and_admins_publish_curated_playlists(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    creator, listener = accounts.make("creator"), accounts.make("listener")
    refused = client.post(
        f"{V1}/playlists",
        json={"title": "Ours", "visibility": "public", "curated": True},
        headers=Accounts.auth(listener),
    )
    assert refused.status_code == 403
    curated = _playlist(client, creator, title="Church picks", curated=True)
    _playlist(client, listener, title="Just mine")
    listed = client.get(f"{V1}/playlists", params={"which": "curated"}).json()
    assert [p["id"] for p in listed["items"]] == [curated["id"]]
    everyone = client.get(f"{V1}/playlists", params={"limit": 1}).json()
    assert len(everyone["items"]) == 1 and everyone["next_cursor"]
    rest = client.get(f"{V1}/playlists", params={"limit": 1, "cursor": everyone["next_cursor"]})
    assert {everyone["items"][0]["id"], rest.json()["items"][0]["id"]} >= {curated["id"]}
    assert client.get(f"{V1}/playlists", params={"which": "mine"}).status_code == 401


def test_a_public_playlists_podcast_feed_parses_in_playlist_order(
    client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    first = make_sermon(creator["id"], title="First in the list")
    second = make_sermon(creator["id"], title="Second in the list")
    private = make_sermon(creator["id"], title="Not for the feed", visibility="private")
    playlist = _playlist(client, creator, title="Advent", description="Four weeks of waiting")
    for content_id in (second, first, private):
        _add(client, creator, playlist["id"], content_id)

    response = client.get(f"{V1}/playlists/{playlist['id']}/feed.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/rss+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Advent"
    assert feed.feed.subtitle == "Four weeks of waiting"
    assert [e.title for e in feed.entries] == ["Second in the list", "First in the list"]
    assert all(e.enclosures[0].type == "audio/mpeg" for e in feed.entries)
    assert playlist["feed_url"].endswith(f"/api/v1/playlists/{playlist['id']}/feed.xml")
    cached = client.get(
        f"{V1}/playlists/{playlist['id']}/feed.xml",
        headers={"If-None-Match": response.headers["etag"]},
    )
    assert cached.status_code == 304

    private_list = _playlist(client, creator, visibility="private")
    assert client.get(f"{V1}/playlists/{private_list['id']}/feed.xml").status_code == 404


def test_continue_listening_follows_the_listener_across_two_devices(
    client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    creator, listener = accounts.make("creator"), accounts.make("listener")
    sermon = make_sermon(creator["id"], duration=1800.0)
    other = make_sermon(creator["id"], duration=600.0)
    phone = Accounts.auth(listener)
    # The laptop signs in separately: another access token, the same account.
    laptop_tokens = client.post(
        f"{V1}/auth/login", json={"email": listener["email"], "password": listener["password"]}
    ).json()
    laptop = {"Authorization": f"Bearer {laptop_tokens['access_token']}"}
    assert laptop_tokens["refresh_token"] != listener["refresh_token"]  # its own session

    assert (
        client.put(
            f"{V1}/me/progress/{sermon}", json={"position": 754.5}, headers=phone
        ).status_code
        == 204
    )
    assert (
        client.put(f"{V1}/me/progress/{other}", json={"position": 30}, headers=phone).status_code
        == 204
    )
    resumed = client.get(f"{V1}/me/progress/{sermon}", headers=laptop).json()
    assert resumed["position"] == 754.5 and resumed["finished"] is False
    started = client.get(f"{V1}/me/continue", headers=laptop).json()
    assert [i["content"]["id"] for i in started["items"]] == [other, sermon]
    assert started["items"][1]["position"] == 754.5

    # Listened to the end on the laptop: no longer "continue" on the phone.
    client.put(f"{V1}/me/progress/{sermon}", json={"position": 1790}, headers=laptop)
    after = client.get(f"{V1}/me/continue", headers=phone).json()
    assert [i["content"]["id"] for i in after["items"]] == [other]
    assert client.get(f"{V1}/me/progress/{sermon}", headers=phone).json()["finished"] is True
    # Others' progress is theirs: a second listener has started nothing.
    someone = accounts.make("listener")
    assert client.get(f"{V1}/me/continue", headers=Accounts.auth(someone)).json()["items"] == []


def test_progress_is_written_only_when_it_moves(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    creator, listener = accounts.make("creator"), accounts.make("listener")
    sermon = make_sermon(creator["id"])
    headers = Accounts.auth(listener)
    client.put(f"{V1}/me/progress/{sermon}", json={"position": 60}, headers=headers)

    def updated_at():  # type: ignore[no-untyped-def]
        with session_scope() as session:
            return session.scalars(
                select(PlaybackProgress.updated_at).where(PlaybackProgress.content_id == sermon)
            ).one()

    first = updated_at()
    client.put(f"{V1}/me/progress/{sermon}", json={"position": 60}, headers=headers)
    assert updated_at() == first
    client.put(f"{V1}/me/progress/{sermon}", json={"position": 65}, headers=headers)
    assert updated_at() > first
    with session_scope() as session:
        assert len(session.scalars(select(PlaybackProgress)).all()) == 1


def test_progress_on_content_the_listener_may_not_see_is_refused(
    client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    creator, listener = accounts.make("creator"), accounts.make("listener")
    hidden = make_sermon(creator["id"], visibility="private")
    response = client.put(
        f"{V1}/me/progress/{hidden}", json={"position": 1}, headers=Accounts.auth(listener)
    )
    assert response.status_code == 404
    anonymous = client.put(f"{V1}/me/progress/{hidden}", json={"position": 1})
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"


def test_favourites_are_kept_once_and_listed_newest_first(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    creator, listener = accounts.make("creator"), accounts.make("listener")
    a, b = make_sermon(creator["id"], title="A"), make_sermon(creator["id"], title="B")
    headers = Accounts.auth(listener)
    for content_id in (a, b, b):
        assert client.put(f"{V1}/me/favourites/{content_id}", headers=headers).status_code == 204
    listed = client.get(f"{V1}/me/favourites", headers=headers).json()
    assert [i["content"]["id"] for i in listed["items"]] == [b, a]
    assert client.delete(f"{V1}/me/favourites/{a}", headers=headers).status_code == 204
    listed = client.get(f"{V1}/me/favourites", headers=headers).json()
    assert [i["content"]["id"] for i in listed["items"]] == [b]
