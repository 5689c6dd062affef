"""Feeds that podcast apps and directories accept (issue 17, item 15): every sermon with audio,
video sermons too, has an audio enclosure; the creator's artwork, checked against Apple's rules,
is the feed's image; owner, category and explicit on every feed; items link to the sermon's page
and keep one GUID across generations."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import feedparser
import pytest
from PIL import Image

from api.app import create_app
from settings import load_settings
from tests.conftest import wait_for_status
from tests.jobs.conftest import make_video
from tests.sermons import make_sermon

OWNER_EMAIL = "office@grace.test"


@pytest.fixture()
def app(clean_db: None):  # type: ignore[no-untyped-def]
    # The platform's podcast settings as a church sets them: owner, author, fallback artwork.
    return create_app(
        load_settings(
            podcast_owner_email=OWNER_EMAIL,
            podcast_author="Grace Church",
            podcast_image_url="https://cdn.example.org/church.jpg",
        )
    )


def _image(size: tuple[int, int], fmt: str = "PNG", mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (40, 90, 160, 128) if mode == "RGBA" else (40, 90, 160)).save(out, fmt)
    return out.getvalue()


def _bomb() -> bytes:
    """A tiny PNG whose header declares 60,000 x 60,000 pixels (14 GB once decoded as RGBA)."""
    png = bytearray(_image((1, 1), mode="RGB"))
    ihdr = png.index(b"IHDR")
    png[ihdr + 4 : ihdr + 12] = struct.pack(">II", 60_000, 60_000)
    crc = zlib.crc32(bytes(png[ihdr : ihdr + 17]))
    png[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(png)


def _series(client, headers: dict[str, str], **fields: object) -> str:  # type: ignore[no-untyped-def]
    body = {"title": "Sunday Mornings", **fields}
    made = client.post("/api/v1/series", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _feed(client, path: str):  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200, response.text
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return feed, response.content


def test_every_feed_has_owner_category_explicit_and_items_link_to_page(client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    series_id = _series(client, accounts.auth(owner))
    sermon = make_sermon(owner["id"], series_id=series_id)

    for path in (f"/api/v1/series/{series_id}/feed.xml", "/api/v1/feed.xml"):
        feed, raw = _feed(client, path)
        channel = feed.feed
        assert channel.publisher_detail.email == OWNER_EMAIL  # feedparser's itunes:owner
        assert channel.publisher_detail.name == "Grace Church"
        assert [t.term for t in channel.tags] == ["Religion & Spirituality", "Christianity"]
        assert b'<itunes:category text="Religion &amp; Spirituality">' in raw
        assert b'<itunes:category text="Christianity"/>' in raw
        assert b"<itunes:explicit>false</itunes:explicit>" in raw
        # No artwork uploaded: the platform's PODCAST_IMAGE_URL, in both image tags.
        assert channel.image.href == "https://cdn.example.org/church.jpg"
        assert b"<url>https://cdn.example.org/church.jpg</url>" in raw
        (item,) = feed.entries
        assert item.link == f"http://testserver.local/library/{sermon}"
        assert item.id == f"urn:uuid:{sermon}" and item.guidislink is False


def test_the_guid_stays_when_a_new_generation_goes_live(client, accounts) -> None:  # type: ignore[no-untyped-def]
    from models import Asset, Content
    from workers.db import session_scope

    owner = accounts.make("creator")
    series_id = _series(client, accounts.auth(owner))
    sermon = make_sermon(owner["id"], series_id=series_id)
    before, _ = _feed(client, f"/api/v1/series/{series_id}/feed.xml")
    with session_scope() as session:
        content = session.get(Content, sermon)
        assert content is not None
        mp3 = Asset(
            content_id=sermon,
            generation=2,
            kind="mp3",
            key=f"media/{sermon}/g2/audio.mp3",
            mime_type="audio/mpeg",
            bytes=50_000,
        )
        session.add(mp3)
        content.generation = content.live_generation = 2

    after, _ = _feed(client, f"/api/v1/series/{series_id}/feed.xml")

    assert after.entries[0].enclosures[0].href.endswith(f"/media/{sermon}/g2/audio.mp3")
    assert after.entries[0].id == before.entries[0].id == f"urn:uuid:{sermon}"


def test_uploaded_artwork_is_checked_resized_stored_and_named_by_the_feed(client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    headers = accounts.auth(owner)
    series_id = _series(client, headers)

    sent = client.put(
        f"/api/v1/series/{series_id}/artwork", content=_image((3200, 3200)), headers=headers
    )

    assert sent.status_code == 200, sent.text
    image_url = sent.json()["image_url"]
    assert f"/cdn/series/{series_id}/artwork.jpg?v=" in image_url
    feed, raw = _feed(client, f"/api/v1/series/{series_id}/feed.xml")
    assert feed.feed.image.href == image_url  # itunes:image
    assert f"<url>{image_url}</url>".replace("&", "&amp;").encode() in raw  # RSS image
    served = client.get(image_url.removeprefix("http://testserver.local"))
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    stored = Image.open(io.BytesIO(served.content))
    assert (stored.format, stored.mode, stored.size) == ("JPEG", "RGB", (3000, 3000))

    # A new picture: the same key, a new URL, so directories that cache by URL fetch it again.
    again = client.put(
        f"/api/v1/series/{series_id}/artwork",
        content=_image((1400, 1400), "JPEG", "RGB"),
        headers=headers,
    )
    assert again.status_code == 200, again.text
    assert again.json()["image_url"] != image_url
    assert again.json()["image_url"].split("?")[0] == image_url.split("?")[0]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (_image((1600, 1400)), 422, "square"),
        (_image((1000, 1000)), 422, "at least 1400x1400"),
        (b"GIF89a not really", 422, "not an image"),
        (_bomb(), 413, "pixels"),
    ],
    ids=["not-square", "too-small", "damaged", "decompression-bomb"],
)
def test_artwork_that_breaks_the_rules_is_refused_clearly(  # type: ignore[no-untyped-def]
    client, accounts, body: bytes, status: int, words: str
) -> None:
    owner = accounts.make("creator")
    headers = accounts.auth(owner)
    series_id = _series(client, headers, image_url="https://cdn.example.org/old.jpg")

    refused = client.put(f"/api/v1/series/{series_id}/artwork", content=body, headers=headers)

    assert refused.status_code == status, refused.text
    assert set(refused.json()) == {"code", "detail"}
    assert words in refused.json()["detail"]
    assert client.get(f"/api/v1/series/{series_id}").json()["image_url"].endswith("/old.jpg")


def test_only_the_owner_or_an_admin_changes_the_artwork(client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    series_id = _series(client, accounts.auth(owner))
    art = _image((1400, 1400))

    other = client.put(
        f"/api/v1/series/{series_id}/artwork",
        content=art,
        headers=accounts.auth(accounts.make("creator")),
    )
    anonymous = client.put(f"/api/v1/series/{series_id}/artwork", content=art)
    admin_headers = accounts.auth(accounts.make("admin"))
    admin = client.put(f"/api/v1/series/{series_id}/artwork", content=art, headers=admin_headers)

    assert other.status_code == 403 and anonymous.status_code == 401
    assert admin.status_code == 200, admin.text


def test_a_video_sermon_has_an_audio_enclosure_in_both_feeds(
    client, accounts, worker, media_dir: Path, ffmpeg: str
) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    headers = accounts.auth(owner)
    series_id = _series(client, headers)
    content = client.post(
        "/api/v1/content", json={"title": "Video service", "series_id": series_id}, headers=headers
    ).json()
    video = make_video(media_dir / "feed-video.mp4", 2.0, "320x180")
    sent = client.put(
        f"/api/v1/content/{content['id']}/source", content=video.read_bytes(), headers=headers
    )
    assert sent.status_code == 202, sent.text
    ready = wait_for_status(client, content["id"], headers, {"ready", "failed"}, timeout=240)
    assert ready["status"] == "ready", ready
    assert ready["media_type"] == "video"
    published = client.post(f"/api/v1/content/{content['id']}/publish", json={}, headers=headers)
    assert published.status_code == 200, published.text

    for path in (f"/api/v1/series/{series_id}/feed.xml", "/api/v1/feed.xml"):
        feed, _ = _feed(client, path)
        (item,) = feed.entries
        assert item.id == f"urn:uuid:{content['id']}"
        (enclosure,) = item.enclosures
        assert enclosure.type == "audio/mpeg" and int(enclosure.length) > 0
        served = client.head(enclosure.href.removeprefix("http://testserver.local"))
        assert served.status_code == 200, enclosure.href
        assert served.headers["content-type"] == "audio/mpeg"
