"""Podcast feeds: what feedparser reads back, every tag Apple Podcasts requires, only what
listeners may hear, and 304s for podcast apps that poll."""

from __future__ import annotations

import feedparser

from tests.sermons import make_sermon

SEGMENTS = [{"start": 0.0, "end": 2.0, "text": "Grace and peace."}]


def _make_feed(client, accounts):  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    headers = accounts.auth(owner)
    series = client.post(
        "/api/v1/series",
        json={
            "title": "Sunday Mornings",
            "description": "Sermons from Sunday service.",
            "author": "Grace Church",
            "image_url": "https://cdn.example.org/art.jpg",
            "explicit": False,
        },
        headers=headers,
    )
    assert series.status_code == 201, series.text
    series_id = series.json()["id"]
    return owner, headers, series_id


def test_series_feed_parses_with_every_required_itunes_tag(client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner, _, series_id = _make_feed(client, accounts)
    sermon = make_sermon(
        owner["id"],
        title="The Good Shepherd",
        series_id=series_id,
        speaker="Pastor Ann",
        description="John 10",
        segments=SEGMENTS,
        mp3_bytes=123_456,
        duration=1830.4,
    )

    response = client.get(f"/api/v1/series/{series_id}/feed.xml")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/rss+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "rss20"
    channel = feed.feed
    assert channel.title == "Sunday Mornings"
    assert channel.author == "Grace Church"
    assert channel.image.href == "https://cdn.example.org/art.jpg"
    assert channel.tags[0].term == "Religion & Spirituality"
    assert "itunes_explicit" in channel  # "false": feedparser reads only yes/clean as booleans
    assert b"<itunes:explicit>false</itunes:explicit>" in response.content
    assert channel.language == "en"
    assert "podcast_guid" in channel
    (item,) = feed.entries
    assert item.title == "The Good Shepherd"
    assert item.id == f"urn:uuid:{sermon}" and item.guidislink is False
    assert item.itunes_duration == "1830"
    assert item.published_parsed is not None
    (enclosure,) = item.enclosures
    assert enclosure.href.endswith(f"/media/{sermon}/g1/audio.mp3")
    assert enclosure.length == "123456" and enclosure.type == "audio/mpeg"
    assert b'<podcast:transcript url="' in response.content
    assert b'type="text/vtt"' in response.content


def test_feeds_carry_only_public_published_ready_sermons(client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner, _, series_id = _make_feed(client, accounts)
    public = make_sermon(owner["id"], series_id=series_id)
    for hidden in (
        {"visibility": "private"},
        {"visibility": "unlisted"},
        {"published": False},
        {"status": "processing"},
    ):
        make_sermon(owner["id"], series_id=series_id, **hidden)
    elsewhere = make_sermon(owner["id"])

    series_items = feedparser.parse(
        client.get(f"/api/v1/series/{series_id}/feed.xml").content
    ).entries
    all_items = feedparser.parse(client.get("/api/v1/feed.xml").content).entries

    assert [e.id for e in series_items] == [f"urn:uuid:{public}"]
    assert {e.id for e in all_items} == {f"urn:uuid:{public}", f"urn:uuid:{elsewhere}"}


def test_an_unchanged_feed_answers_304_and_a_change_answers_200(client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner, headers, series_id = _make_feed(client, accounts)
    sermon = make_sermon(owner["id"], series_id=series_id)
    first = client.get(f"/api/v1/series/{series_id}/feed.xml")
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]

    assert (
        client.get(
            f"/api/v1/series/{series_id}/feed.xml", headers={"If-None-Match": etag}
        ).status_code
        == 304
    )
    assert (
        client.get(
            f"/api/v1/series/{series_id}/feed.xml", headers={"If-Modified-Since": last_modified}
        ).status_code
        == 304
    )
    assert client.post(f"/api/v1/content/{sermon}/unpublish", headers=headers).status_code == 200
    changed = client.get(f"/api/v1/series/{series_id}/feed.xml", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert feedparser.parse(changed.content).entries == []


def test_series_are_changed_by_their_owner_or_an_admin(client, accounts) -> None:  # type: ignore[no-untyped-def]
    _, headers, series_id = _make_feed(client, accounts)
    other = accounts.auth(accounts.make("creator"))
    admin = accounts.auth(accounts.make("admin"))
    assert (
        client.patch(f"/api/v1/series/{series_id}", json={"title": "X"}, headers=other).status_code
        == 403
    )
    assert (
        client.patch(f"/api/v1/series/{series_id}", json={"title": "Y"}, headers=admin).status_code
        == 200
    )
    renamed = client.patch(
        f"/api/v1/series/{series_id}", json={"title": "Evenings"}, headers=headers
    )
    assert renamed.json()["title"] == "Evenings"
    assert client.get(f"/api/v1/series/{series_id}").json()["title"] == "Evenings"
    feed = feedparser.parse(client.get(f"/api/v1/series/{series_id}/feed.xml").content)
    assert feed.feed.title == "Evenings"
