"""A playlist's cover: uploaded by its owner, decoded within limits (a bomb refused), resized to
web sizes in WebP and JPEG, stored, shown on the API and the pages; replaced and deleted with it."""

from __future__ import annotations

import io

from PIL import Image

from tests.conftest import Accounts
from tests.platform.images import photo, png_bomb

V1 = "/api/v1"


def _fetch(client, url: str) -> Image.Image:  # type: ignore[no-untyped-def]
    answer = client.get(url)
    assert answer.status_code == 200, url
    image = Image.open(io.BytesIO(answer.content))
    image.load()
    return image


def test_an_uploaded_cover_is_resized_stored_shown_replaced_and_deleted(
    client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    owner, other = accounts.make("listener"), accounts.make("listener")
    made = client.post(
        f"{V1}/playlists",
        json={"title": "Morning psalms", "visibility": "public"},
        headers=Accounts.auth(owner),
    )
    assert made.status_code == 201, made.text
    path = f"{V1}/playlists/{made.json()['id']}"
    assert made.json()["cover"] == []

    uploaded = client.put(f"{path}/cover", content=photo(1600, 900), headers=Accounts.auth(owner))
    assert uploaded.status_code == 200, uploaded.text
    cover = uploaded.json()["cover"]
    assert {r["format"] for r in cover} == {"jpeg", "webp"}
    for rendition in cover:
        image = _fetch(client, rendition["url"])
        assert image.format == rendition["format"].upper()
        assert (image.width, image.height) == (rendition["width"], rendition["height"])
        assert image.width <= 1600
    # Anyone with the link sees it, on the API and on the playlist's page.
    assert client.get(path).json()["cover"] == cover
    page = client.get(f"/playlists/{made.json()['id']}")
    assert page.status_code == 200
    assert cover[-1]["url"].split("/cdn/", 1)[1] in page.text

    refused = client.put(f"{path}/cover", content=photo(64, 48), headers=Accounts.auth(other))
    assert refused.status_code == 403
    bomb = client.put(f"{path}/cover", content=png_bomb(10_000), headers=Accounts.auth(owner))
    assert bomb.status_code == 413 and bomb.json()["code"] == "image_too_large"
    not_image = client.put(f"{path}/cover", content=b"hello", headers=Accounts.auth(owner))
    assert not_image.status_code == 422 and not_image.json()["code"] == "image_refused"
    assert client.get(path).json()["cover"] == cover  # what was refused changed nothing

    replaced = client.put(f"{path}/cover", content=photo(800, 800), headers=Accounts.auth(owner))
    assert replaced.status_code == 200, replaced.text
    new = replaced.json()["cover"]
    assert {r["url"] for r in new}.isdisjoint(r["url"] for r in cover)
    assert all(client.get(r["url"]).status_code == 404 for r in cover)  # the old one deleted
    _fetch(client, new[0]["url"])

    assert client.delete(path, headers=Accounts.auth(owner)).status_code == 204
    assert all(client.get(r["url"]).status_code == 404 for r in new)


def test_taking_the_cover_away_deletes_its_images(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    made = client.post(f"{V1}/playlists", json={"title": "Hymns"}, headers=Accounts.auth(owner))
    path = f"{V1}/playlists/{made.json()['id']}"
    cover = client.put(
        f"{path}/cover", content=photo(640, 480, "PNG"), headers=Accounts.auth(owner)
    ).json()["cover"]
    assert cover
    assert client.delete(f"{path}/cover", headers=Accounts.auth(owner)).status_code == 204
    assert client.get(path, headers=Accounts.auth(owner)).json()["cover"] == []
    assert all(client.get(r["url"]).status_code == 404 for r in cover)
