"""Creators describe their sermons: scripture references are parsed or refused with a reason,
and PATCH changes only what it is sent."""

from __future__ import annotations

import pytest

from models.scripture import ScriptureError, canonical_book, parse_reference

GOOD = [
    ("John 3:16-18", [("John", 3, 16, 3, 18, "John 3:16-18")]),
    ("1 Cor 13", [("1 Corinthians", 13, 1, 13, 13, "1 Corinthians 13:1-13")]),
    ("Ps 23:1–6", [("Psalms", 23, 1, 23, 6, "Psalms 23:1-6")]),  # en dash
    ("Psalm 23:1—6", [("Psalms", 23, 1, 23, 6, "Psalms 23:1-6")]),  # em dash
    ("Jn 3:16", [("John", 3, 16, 3, 16, "John 3:16")]),
    ("Gen 1:1-2:3", [("Genesis", 1, 1, 2, 3, "Genesis 1:1-2:3")]),
    ("Jude 3", [("Jude", 1, 3, 1, 3, "Jude 3")]),
    ("2 John 1:1", [("2 John", 1, 1, 1, 1, "2 John 1")]),
    (
        "Matt 5:3-12, 6:9",
        [("Matthew", 5, 3, 5, 12, "Matthew 5:3-12"), ("Matthew", 6, 9, 6, 9, "Matthew 6:9")],
    ),
]
BAD = ["hello", "", "Hezekiah 3:1", "John 3:40", "John 22:1", "Genesis 51", "1 Cor", "x" * 300]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_good_references_become_canonical_ranges(text: str, expected: list[tuple]) -> None:  # type: ignore[type-arg]
    refs = parse_reference(text)
    assert [
        (r.book, r.chapter_start, r.verse_start, r.chapter_end, r.verse_end, r.text) for r in refs
    ] == expected


@pytest.mark.parametrize("text", BAD)
def test_nonsense_is_refused_with_a_message(text: str) -> None:
    with pytest.raises(ScriptureError) as error:
        parse_reference(text)
    assert "reference" in str(error.value) or "chapter" in str(error.value)


def test_book_names_are_canonical() -> None:
    assert canonical_book("1 cor") == "1 Corinthians"
    assert canonical_book("Ps") == "Psalms"
    assert canonical_book("Hezekiah") is None


def test_created_content_stores_parsed_scripture(client, accounts) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    response = client.post(
        "/api/v1/content",
        json={"title": "Love", "scripture": ["1 Cor 13", "Ps 23:1–6"]},
        headers=accounts.auth(creator),
    )
    assert response.status_code == 201, response.text
    assert response.json()["scripture"] == [
        {
            "book": "1 Corinthians",
            "chapter_start": 13,
            "verse_start": 1,
            "chapter_end": 13,
            "verse_end": 13,
            "text": "1 Corinthians 13:1-13",
        },
        {
            "book": "Psalms",
            "chapter_start": 23,
            "verse_start": 1,
            "chapter_end": 23,
            "verse_end": 6,
            "text": "Psalms 23:1-6",
        },
    ]


def test_a_bad_reference_is_a_422_naming_it(client, accounts) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    response = client.post(
        "/api/v1/content",
        json={"title": "Love", "scripture": ["John 99:1"]},
        headers=accounts.auth(creator),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert "John 99:1" in response.json()["detail"]


def test_patch_changes_only_the_fields_sent(client, accounts) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    headers = accounts.auth(creator)
    made = client.post(
        "/api/v1/content",
        json={"title": "Draft", "speaker": "Pastor Ann", "tags": ["advent"]},
        headers=headers,
    ).json()

    response = client.patch(
        f"/api/v1/content/{made['id']}",
        json={
            "title": "The Good Shepherd",
            "scripture": ["John 10:11"],
            "recorded_date": "2026-11-22",
        },
        headers=headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == "The Good Shepherd"
    assert body["speaker"] == "Pastor Ann" and body["tags"] == ["advent"]
    assert body["scripture"][0]["text"] == "John 10:11"
    assert body["recorded_date"] == "2026-11-22"
    cleared = client.patch(
        f"/api/v1/content/{made['id']}", json={"recorded_date": None}, headers=headers
    )
    assert cleared.json()["recorded_date"] is None


def test_patch_refuses_unknown_fields_and_bad_scripture(client, accounts) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    headers = accounts.auth(creator)
    made = client.post("/api/v1/content", json={"title": "Draft"}, headers=headers).json()
    assert (
        client.patch(
            f"/api/v1/content/{made['id']}", json={"status": "ready"}, headers=headers
        ).status_code
        == 400
    )
    bad = client.patch(
        f"/api/v1/content/{made['id']}", json={"scripture": ["Nonsense 1:1"]}, headers=headers
    )
    assert bad.status_code == 422 and "Nonsense 1:1" in bad.json()["detail"]


def test_text_postgresql_cannot_store_is_a_422_not_a_crash(client, accounts) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    response = client.post(
        "/api/v1/content", json={"title": "Nul\u0000byte"}, headers=accounts.auth(creator)
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
