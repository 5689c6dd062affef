"""Publishing: only ready content goes public, unpublishing hides it everywhere, a schedule
is honoured by the clock, and DELETE leaves no rows and no objects behind."""

from __future__ import annotations

from datetime import timedelta

from models import Asset, Content, Job, Transcript, utcnow
from tests.sermons import make_sermon
from workers.clock.scheduled_publishing import publish_due
from workers.db import session_scope


def _ids(client) -> list[str]:  # type: ignore[no-untyped-def]
    return [item["id"] for item in client.get("/api/v1/catalog").json()["items"]]


def test_a_draft_cannot_be_published(client, accounts) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    made = client.post(
        "/api/v1/content", json={"title": "Draft"}, headers=accounts.auth(creator)
    ).json()
    response = client.post(f"/api/v1/content/{made['id']}/publish", headers=accounts.auth(creator))
    assert response.status_code == 409
    assert "ready" in response.json()["detail"]


def test_publish_then_unpublish_shows_and_hides_it(client, accounts) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    headers = accounts.auth(creator)
    sermon = make_sermon(creator["id"], published=False, visibility="private")
    assert sermon not in _ids(client)
    assert client.get(f"/api/v1/content/{sermon}/playback").status_code == 404

    published = client.post(
        f"/api/v1/content/{sermon}/publish", json={"visibility": "public"}, headers=headers
    )
    assert published.status_code == 200, published.text
    assert published.json()["visibility"] == "public" and published.json()["published_at"]
    assert _ids(client) == [sermon]
    assert client.get(f"/api/v1/content/{sermon}/playback").status_code == 200

    assert client.post(f"/api/v1/content/{sermon}/unpublish", headers=headers).status_code == 200
    assert _ids(client) == []
    assert client.get(f"/api/v1/content/{sermon}").status_code == 404
    assert client.get(f"/api/v1/content/{sermon}/playback").status_code == 404


def test_unlisted_content_plays_by_id_but_is_not_listed(client, accounts) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    sermon = make_sermon(creator["id"], published=False, visibility="private")
    client.post(
        f"/api/v1/content/{sermon}/publish",
        json={"visibility": "unlisted"},
        headers=accounts.auth(creator),
    )
    assert client.get(f"/api/v1/content/{sermon}/playback").status_code == 200
    assert _ids(client) == []


def test_a_scheduled_publish_goes_live_when_due(client, accounts) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    headers = accounts.auth(creator)
    sermon = make_sermon(creator["id"], published=False, visibility="private")
    soon = utcnow() + timedelta(hours=1)
    scheduled = client.post(
        f"/api/v1/content/{sermon}/publish", json={"publish_at": soon.isoformat()}, headers=headers
    )
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["published_at"] is None and scheduled.json()["publish_at"]
    assert publish_due() == [] and _ids(client) == []

    with session_scope() as session:  # the hour passes
        session.get(Content, sermon).publish_at = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
    assert publish_due() == [sermon]
    assert _ids(client) == [sermon]
    assert publish_due() == []  # idempotent


def test_a_scheduled_publish_waits_for_processing_to_finish(client, accounts) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    sermon = make_sermon(creator["id"], published=False, status="processing")
    client.post(
        f"/api/v1/content/{sermon}/publish",
        json={"publish_at": (utcnow() + timedelta(minutes=1)).isoformat()},
        headers=accounts.auth(creator),
    )
    with session_scope() as session:
        session.get(Content, sermon).publish_at = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
    assert publish_due() == []
    with session_scope() as session:  # processing ends as the orchestrator ends it
        done = session.get(Content, sermon)
        done.status, done.live_generation = "ready", 1  # type: ignore[union-attr]
    assert publish_due() == [sermon]


def test_delete_removes_rows_and_every_generations_objects(app, client, accounts) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.make("creator")
    sermon = make_sermon(creator["id"], segments=[{"start": 0, "end": 1, "text": "Amen."}])
    storage = app.state.storage
    for key in (
        f"media/{sermon}/g1/audio.mp3",
        f"media/{sermon}/g2/hls/master.m3u8",
        f"sources/{sermon}/a.m4a",
    ):
        storage.put_bytes(key, b"x")
    with session_scope() as session:
        session.get(Content, sermon).source_key = f"sources/{sermon}/a.m4a"  # type: ignore[union-attr]
        session.add(
            Job(content_id=sermon, step="probe", generation=1, queue="media", status="succeeded")
        )

    response = client.delete(f"/api/v1/content/{sermon}", headers=accounts.auth(creator))

    assert response.status_code == 204
    assert (
        storage.list_keys(f"media/{sermon}/") == []
        and storage.list_keys(f"sources/{sermon}/") == []
    )
    with session_scope() as session:
        for model in (Asset, Job, Transcript):
            assert session.query(model).filter_by(content_id=sermon).count() == 0
        assert session.get(Content, sermon) is None
    assert (
        client.get(f"/api/v1/content/{sermon}", headers=accounts.auth(creator)).status_code == 404
    )
