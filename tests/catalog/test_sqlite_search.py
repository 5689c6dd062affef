"""The embedded setup (SQLite) searches through its FTS5 table: lightly, the same promises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
from litestar.testing import TestClient


def test_sqlite_catalog_finds_a_transcript_phrase_with_its_second(tmp_path: Path) -> None:
    from api.app import create_app
    from models import Content, Transcript, User, make_sync_engine, sync_session_factory
    from models.migrate import upgrade
    from settings import get_settings

    sync_url = f"sqlite:///{tmp_path / 'cnt.db'}"
    upgrade(sync_url)
    engine = make_sync_engine(sync_url)
    with sync_session_factory(engine)() as session:
        owner = User(email="a@church.test", password_hash="x", role="creator", display_name="A")
        session.add(owner)
        session.flush()
        published = datetime.now(UTC) - timedelta(minutes=1)
        found = Content(
            owner_id=owner.id,
            title="Luke 15",
            status="ready",
            visibility="public",
            published_at=published,
            generation=1,
            live_generation=1,
        )
        other = Content(
            owner_id=owner.id,
            title="Advent",
            status="ready",
            visibility="public",
            published_at=published,
            generation=1,
            live_generation=1,
        )
        session.add_all([found, other])
        session.flush()
        session.add(
            Transcript(
                content_id=found.id,
                provider="test",
                text="He finds the lost sheep.",
                segments=[
                    {"start": 0.0, "end": 3.0, "text": "Good morning."},
                    {"start": 3.0, "end": 7.5, "text": "He finds the lost sheep."},
                ],
            )
        )
        session.commit()
        found_id = found.id
    engine.dispose()

    settings = msgspec.structs.replace(
        get_settings(), database_url=f"sqlite+aiosqlite:///{tmp_path / 'cnt.db'}"
    )
    with TestClient(create_app(settings)) as client:
        items = client.get("/api/v1/catalog", params={"q": "lost sheep"}).json()["items"]
        listing = client.get("/api/v1/catalog").json()["items"]

    assert [item["id"] for item in items] == [found_id]
    assert items[0]["match"]["start"] == 3.0
    assert len(listing) == 2
