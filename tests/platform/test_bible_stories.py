"""Bible stories: written by creators, narrated through the normal pipeline, illustrated with
images decoded safely, and found by book, testament and age."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from PIL import Image
from sqlalchemy import select, update

from models import Content, StoryIllustration, utcnow
from settings import get_settings
from tests.conftest import Accounts, wait_for_status
from tests.platform.images import photo, png_bomb
from workers.db import session_scope

V1 = "/api/v1"


def _story(client, creator: dict[str, str], **fields) -> dict:  # type: ignore[no-untyped-def,type-arg]
    body = {
        "title": "Noah's Ark",
        "scripture": ["Gen 6:9-22"],
        "summary": "God keeps Noah, his family and the animals safe.",
        "age_min": 3,
        "age_max": 7,
        "text": "Noah built a big boat. The animals came two by two.",
        **fields,
    }
    response = client.post(f"{V1}/bible-stories", json=body, headers=Accounts.auth(creator))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _publish_as_processed(content_id: str) -> None:
    """As the pipeline and a publish would leave the narration (the pipeline test runs it)."""
    with session_scope() as session:
        session.execute(
            update(Content)
            .where(Content.id == content_id)
            .values(status="ready", visibility="public", published_at=utcnow(), live_generation=1)
        )


def test_a_story_is_illustrated_at_times_in_its_narration(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    creator, listener = accounts.make("creator"), accounts.make("listener")
    story = _story(client, creator)
    assert story["books"] == ["Genesis"] and story["testament"] == "old"
    assert story["scripture"][0]["text"] == "Genesis 6:9-22"
    assert story["narration"]["kind"] == "bible_story"
    headers = Accounts.auth(creator)
    url = f"{V1}/bible-stories/{story['id']}/illustrations"
    later = client.post(
        url, params={"at": 12.5, "alt": "The ark"}, content=photo(1200, 900), headers=headers
    )
    assert later.status_code == 201, later.text
    first = client.post(url, params={"at": 3}, content=photo(640, 480, "PNG"), headers=headers)
    assert first.status_code == 201
    # Not published yet: only its owner sees it.
    assert (
        client.get(f"{V1}/bible-stories/{story['id']}", headers=Accounts.auth(listener)).status_code
        == 404
    )
    own = client.get(f"{V1}/bible-stories/{story['id']}", headers=headers).json()
    assert [(i["at_s"], i["alt"]) for i in own["illustrations"]] == [(3.0, ""), (12.5, "The ark")]
    assert {(i["format"], i["width"]) for i in own["illustrations"][1]["images"]} == {
        ("webp", 480),
        ("jpeg", 480),
        ("webp", 960),
        ("jpeg", 960),
        ("webp", 1200),
        ("jpeg", 1200),
    }
    # The owner's preview is signed; the bytes behind it are the image.
    preview = own["illustrations"][1]["images"][0]
    assert "/cdn/s/" in preview["url"]
    fetched = client.get(preview["url"].replace("http://testserver.local", ""))
    assert fetched.status_code == 200
    with Image.open(io.BytesIO(fetched.content)) as decoded:
        assert (decoded.format, decoded.width) == ("WEBP", 480)

    _publish_as_processed(story["narration"]["id"])
    seen = client.get(f"{V1}/bible-stories/{story['id']}", headers=Accounts.auth(listener)).json()
    public = seen["illustrations"][0]["images"][1]
    assert "/cdn/s/" not in public["url"]
    assert client.get(public["url"].replace("http://testserver.local", "")).status_code == 200

    moved = client.patch(f"{url}/{later.json()['id']}", json={"at_s": 1.0}, headers=headers)
    assert moved.json()["at_s"] == 1.0
    gone = client.delete(f"{url}/{first.json()['id']}", headers=headers)
    assert gone.status_code == 204
    root = get_settings().storage_path
    assert not list(
        root.glob(f"media/{story['narration']['id']}/illustrations/{first.json()['id']}/*")
    )


def test_a_decompression_bomb_illustration_is_refused_with_a_clear_error(
    client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    story = _story(client, creator)
    response = client.post(
        f"{V1}/bible-stories/{story['id']}/illustrations",
        params={"at": 1},
        content=png_bomb(10_000),
        headers=Accounts.auth(creator),
    )
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "image_too_large"
    assert "10000x10000" in body["detail"] and "megapixels" in body["detail"]
    with session_scope() as session:
        assert session.scalars(select(StoryIllustration)).all() == []
    root: Path = get_settings().storage_path
    assert not list(root.glob(f"media/{story['narration']['id']}/illustrations/*"))
    not_an_image = client.post(
        f"{V1}/bible-stories/{story['id']}/illustrations",
        content=b"<svg/>",
        headers=Accounts.auth(creator),
    )
    assert not_an_image.status_code == 422 and not_an_image.json()["code"] == "image_refused"


def test_stories_are_found_by_book_testament_age_and_words(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    noah = _story(client, creator)
    shepherd = _story(
        client,
        creator,
        title="The Lost Sheep",
        scripture=["Luke 15:3-7"],
        summary="The shepherd looks for the one sheep.",
        text="One sheep was lost.",
        age_min=6,
        age_max=11,
    )
    draft = _story(client, creator, title="Not yet told", scripture=["Gen 1"])
    for story in (noah, shepherd):
        _publish_as_processed(story["narration"]["id"])

    def found(**params) -> list[str]:  # type: ignore[no-untyped-def]
        response = client.get(f"{V1}/bible-stories", params=params)
        assert response.status_code == 200, response.text
        return [s["title"] for s in response.json()["items"]]

    assert set(found()) == {"Noah's Ark", "The Lost Sheep"}
    assert found(book="gen") == ["Noah's Ark"]
    assert found(book="Luke") == ["The Lost Sheep"]
    assert found(testament="new") == ["The Lost Sheep"]
    assert found(age=4) == ["Noah's Ark"]
    assert found(age=7) == ["The Lost Sheep", "Noah's Ark"]
    assert found(q="two by two") == ["Noah's Ark"]
    assert found(q="SHEPHERD sheep") == ["The Lost Sheep"]
    assert draft["title"] not in found(book="Genesis")
    first = client.get(f"{V1}/bible-stories", params={"limit": 1}).json()
    rest = client.get(
        f"{V1}/bible-stories", params={"limit": 1, "cursor": first["next_cursor"]}
    ).json()
    assert {first["items"][0]["title"], rest["items"][0]["title"]} == {
        "Noah's Ark",
        "The Lost Sheep",
    }
    assert client.get(f"{V1}/bible-stories", params={"book": "Hezekiah"}).status_code == 422
    assert (
        client.post(
            f"{V1}/bible-stories",
            json={"title": "x", "scripture": ["John 3:99"]},
            headers=Accounts.auth(creator),
        ).status_code
        == 422
    )


def test_a_storys_narration_goes_through_the_normal_pipeline_and_the_catalog_finds_it(
    live_api: str, worker: object, accounts: Accounts, tone_m4a: Path
) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    headers = Accounts.auth(creator)
    with httpx.Client(base_url=live_api, headers=headers, timeout=30) as http:
        story = http.post(
            f"{V1}/bible-stories",
            json={"title": "Jonah and the Whale", "scripture": ["Jonah 1-2"], "text": "Jonah ran."},
        ).json()
        narration = story["narration"]["id"]
        sent = http.put(f"{V1}/content/{narration}/source", content=tone_m4a.read_bytes())
        assert sent.status_code == 202, sent.text
        ready = wait_for_status(http, narration, {}, {"ready", "failed"}, timeout=120)
        assert ready["status"] == "ready", ready.get("error")
        assert http.post(f"{V1}/content/{narration}/publish").status_code == 200
        playback = http.get(f"{V1}/content/{narration}/playback").json()
        assert playback["hls"] and playback["mp3"]
        listed = httpx.get(f"{live_api}{V1}/bible-stories", params={"book": "Jonah"}).json()
        assert [s["id"] for s in listed["items"]] == [story["id"]]
        catalog = httpx.get(f"{live_api}{V1}/catalog", params={"q": "Jonah whale"}).json()
        assert [(i["id"], i["kind"]) for i in catalog["items"]] == [(narration, "bible_story")]
