"""Public playlist pages are kept in each API process for as long as nothing they show changes:
past RESPONSE_CACHE_S (every table they read notifies a change, from any process), but never past
the moment a sermon they hold back is published, which no write announces."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import update

from api.app import create_app
from api.response_cache import ResponseCache
from models import Content, PlaylistItem, utcnow
from settings import get_settings
from tests.conftest import Accounts
from tests.sermons import make_sermon
from workers.db import session_scope

V1 = "/api/v1"
BACKSTOP_S = 1.0  # RESPONSE_CACHE_S of the short-lived app below


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.01)


@pytest.fixture()
def short_client(clean_db: None) -> Iterator[TestClient[Litestar]]:
    """The API of a platform whose catalog answers live at most a second."""
    settings = msgspec.structs.replace(get_settings(), response_cache_s=BACKSTOP_S)
    with TestClient(create_app(settings), base_url="http://testserver.local") as test_client:
        yield test_client


def _playlist(client: TestClient[Litestar], owner: dict[str, str], *content_ids: str) -> str:
    made = client.post(
        f"{V1}/playlists",
        json={"title": "Advent", "visibility": "public"},
        headers=Accounts.auth(owner),
    )
    assert made.status_code == 201, made.text
    path = f"{V1}/playlists/{made.json()['id']}"
    for content_id in content_ids:
        added = client.post(
            f"{path}/items", json={"content_id": content_id}, headers=Accounts.auth(owner)
        )
        assert added.status_code == 201, added.text
    return path


def _anonymous_view(client: TestClient[Litestar], path: str) -> tuple[list[str], str]:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return [item["content_id"] for item in answer.json()["items"]], answer.headers["x-cache"]


def _kept(client: TestClient[Litestar], path: str) -> list[str]:
    """Ask until the page comes from the cache: from here on, only a change may drop it (the
    notifications of the writes before are let in first)."""
    time.sleep(0.2)
    _wait_until(lambda: _anonymous_view(client, path)[1] == "hit", "the page was kept")
    return _anonymous_view(client, path)[0]


def _notified(app: Any, before: int) -> None:
    cache = app.state.response_cache
    _wait_until(lambda: cache.invalidations > before, "the change notification arrived")


def test_a_playlist_page_is_kept_past_response_cache_s_and_a_write_elsewhere_still_drops_it(
    short_client: TestClient[Litestar],
) -> None:
    app = short_client.app
    creator = Accounts(short_client).make("creator")
    shepherd = make_sermon(creator["id"], title="The Good Shepherd")
    sower = make_sermon(creator["id"], title="The Sower")
    path = _playlist(short_client, creator, shepherd)

    assert _kept(short_client, path) == [shepherd]
    time.sleep(BACKSTOP_S * 1.5)
    # Nothing it shows changed: still the kept answer, though RESPONSE_CACHE_S has passed.
    assert _anonymous_view(short_client, path) == ([shepherd], "hit")

    # Another process (a worker, another API process, psql) adds an item: PostgreSQL tells us.
    before = app.state.response_cache.invalidations
    with session_scope() as session:
        session.add(PlaylistItem(playlist_id=path.rsplit("/", 1)[1], content_id=sower, position=1))
    _notified(app, before)
    assert _anonymous_view(short_client, path) == ([shepherd, sower], "miss")

    # ... or makes a sermon in it private: gone from the page at once, kept or not.
    assert _kept(short_client, path) == [shepherd, sower]
    before = app.state.response_cache.invalidations
    with session_scope() as session:
        session.execute(update(Content).where(Content.id == sower).values(visibility="private"))
    _notified(app, before)
    assert _anonymous_view(short_client, path)[0] == [shepherd]


def test_a_kept_playlist_page_shows_a_scheduled_sermon_once_its_publishing_time_comes(
    client: TestClient[Litestar], accounts: Accounts
) -> None:
    creator = accounts.make("creator")
    shepherd = make_sermon(creator["id"], title="The Good Shepherd")
    publishes = utcnow() + timedelta(seconds=3)
    advent = make_sermon(creator["id"], title="Advent Sunday", published_at=publishes)
    path = _playlist(client, creator, shepherd, advent)

    # Held back from everyone but its owner until then; the page is kept meanwhile.
    assert _kept(client, path) == [shepherd]
    owners = client.get(path, headers=Accounts.auth(creator)).json()["items"]
    assert [item["content_id"] for item in owners] == [shepherd, advent]

    # No write announces a publishing time: the kept page must not outlive it.
    time.sleep(max(0.0, (publishes - utcnow()).total_seconds()) + 0.05)
    assert _anonymous_view(client, path)[0] == [shepherd, advent]


def test_an_answer_whose_time_has_already_come_is_not_kept() -> None:
    cache = ResponseCache(ttl_s=10, max_entries=10)
    cache.enable()
    ok = (200, [(b"content-type", b"application/json")], b"{}")
    assert not cache.put("/gone", cache.generation, *ok, "playlists", lifetime_s=-0.5)
    assert cache.get("/gone") is None
    assert cache.put("/kept", cache.generation, *ok, "playlists", lifetime_s=600)
    assert cache.get("/kept") is not None
