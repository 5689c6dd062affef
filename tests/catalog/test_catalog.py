"""The catalog lists what listeners may see, filters it, pages it, and finds a sermon by a
phrase remembered from its transcript, with the second to jump to."""

from __future__ import annotations

from datetime import date, timedelta

from models import utcnow
from tests.sermons import make_series, make_sermon

SEGMENTS = [
    {"start": 0.0, "end": 4.0, "text": "Good morning church, open your Bibles."},
    {"start": 4.0, "end": 9.5, "text": "Today we read about the shepherd."},
    {"start": 9.5, "end": 15.0, "text": "He leaves the ninety nine to find the lost sheep."},
    {"start": 15.0, "end": 20.0, "text": "And he carries it home rejoicing."},
]


def _catalog(client, **params) -> dict:  # type: ignore[no-untyped-def,type-arg]
    response = client.get("/api/v1/catalog", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_catalog_lists_only_ready_public_published_content(client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    shown = make_sermon(owner["id"], title="Shown")
    make_sermon(owner["id"], title="Private", visibility="private")
    make_sermon(owner["id"], title="Unlisted", visibility="unlisted")
    make_sermon(owner["id"], title="Draft", published=False)
    make_sermon(owner["id"], title="Processing", status="processing")
    make_sermon(owner["id"], title="Tomorrow", published_at=utcnow() + timedelta(days=1))

    items = _catalog(client)["items"]

    assert [item["id"] for item in items] == [shown]


def test_search_finds_a_sermon_by_a_phrase_from_its_transcript(client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    found = make_sermon(owner["id"], title="Luke 15", segments=SEGMENTS)
    make_sermon(
        owner["id"], title="Other", segments=[{"start": 0, "end": 3, "text": "Grace and peace."}]
    )

    items = _catalog(client, q="the lost sheep")["items"]

    assert [item["id"] for item in items] == [found]
    match = items[0]["match"]
    assert match["source"] == "transcript"
    assert match["start"] == 9.5 and match["end"] == 15.0
    assert "<mark>" in match["snippet"] and "sheep" in match["snippet"].lower()


def test_search_ranks_a_title_match_above_a_passing_mention(client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    mention = make_sermon(owner["id"], title="Ordinary Sunday", segments=SEGMENTS)
    titled = make_sermon(owner["id"], title="The Lost Sheep", speaker="Pastor Ann")

    items = _catalog(client, q="lost sheep")["items"]

    assert [item["id"] for item in items] == [titled, mention]
    assert items[0]["match"]["source"] == "metadata"


def test_search_by_speaker_and_description(client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    sermon = make_sermon(owner["id"], speaker="Pastor Ann Lee", description="On forgiveness")
    make_sermon(owner["id"], speaker="Elder Bob")

    assert [i["id"] for i in _catalog(client, q="Lee")["items"]] == [sermon]
    assert [i["id"] for i in _catalog(client, q="forgiving")["items"]] == [sermon]  # stemmed


def test_filters_by_series_speaker_book_tag_and_dates(client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    series = make_series(owner["id"])
    john = make_sermon(
        owner["id"],
        series_id=series,
        speaker="Pastor Ann",
        tags=["advent"],
        scripture=[
            {
                "book": "John",
                "chapter_start": 3,
                "verse_start": 16,
                "chapter_end": 3,
                "verse_end": 18,
                "text": "John 3:16-18",
            }
        ],
        recorded_date=date(2026, 11, 1),
    )
    psalm = make_sermon(
        owner["id"],
        speaker="Elder Bob",
        tags=["lent"],
        scripture=[
            {
                "book": "Psalms",
                "chapter_start": 23,
                "verse_start": 1,
                "chapter_end": 23,
                "verse_end": 6,
                "text": "Psalms 23:1-6",
            }
        ],
        recorded_date=date(2026, 11, 15),
    )

    def ids(**params):  # type: ignore[no-untyped-def]
        return [item["id"] for item in _catalog(client, **params)["items"]]

    assert ids(series=series) == [john]
    assert ids(speaker="elder bob") == [psalm]
    assert ids(book="Ps") == [psalm]
    assert ids(book="john") == [john]
    assert ids(tag="advent") == [john]
    assert ids(since="2026-11-10") == [psalm]
    assert ids(until="2026-11-10") == [john]
    assert set(ids(since="2026-10-01", until="2026-12-01")) == {john, psalm}


def test_an_unknown_book_is_refused_with_a_clear_message(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/catalog", params={"book": "Hezekiah"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert "Hezekiah" in response.json()["detail"]


def test_cursor_pages_never_repeat_or_skip(client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    now = utcnow()
    made = [
        make_sermon(owner["id"], title=f"Sermon {n}", published_at=now - timedelta(days=n))
        for n in range(7)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        page = _catalog(client, limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made  # newest first


def test_search_pages_by_rank_with_a_cursor(client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    made = {make_sermon(owner["id"], title=f"Grace {n}", segments=SEGMENTS) for n in range(5)}
    first = _catalog(client, q="grace", limit=2)
    second = _catalog(client, q="grace", limit=2, cursor=first["next_cursor"])
    third = _catalog(client, q="grace", limit=2, cursor=second["next_cursor"])
    seen = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert len(seen) == len(set(seen)) == 5 and set(seen) == made
    assert third["next_cursor"] is None


def test_a_forged_cursor_is_a_clear_error(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/catalog", params={"cursor": "not-a-cursor"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_catalog_pages_may_be_kept_briefly_by_a_cdn(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/catalog")
    assert "public" in response.headers["cache-control"]
    assert "max-age=15" in response.headers["cache-control"]
