"""The response cache of anonymous catalog pages and public playback answers: a change is seen
on the next request, whoever made it (the API, or a worker through PostgreSQL's trigger and the
API's LISTEN); per-caller answers are never kept; losing the change feed turns the cache off."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from api.response_cache import ResponseCache
from models import Asset, Content
from tests.sermons import make_sermon
from workers.db import engine, session_scope


def _catalog(client, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/catalog", params={"limit": 20}, headers=headers or {})
    assert response.status_code == 200, response.text
    return response


def _titles(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [item["title"] for item in response.json()["items"]]


def _cached_catalog(client) -> list[str]:  # type: ignore[no-untyped-def]
    """Ask until the page is answered from the cache (so a later change must drop it). A write's
    notification, arriving after its own answer dropped the cache already, may drop it once more."""
    for _ in range(20):
        first, second = _catalog(client), _catalog(client)
        if second.headers["x-cache"] == "hit":
            assert second.json() == first.json()
            return _titles(second)
    raise AssertionError("the page never stayed in the cache")


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.01)


@contextmanager
def _notified(app, transactions: int = 1) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Wait, after the block's database writes, for PostgreSQL's notifications (one for each
    transaction) to reach the API: else one arriving late would drop a page cached after it."""
    cache: ResponseCache = app.state.response_cache
    before = cache.invalidations
    yield
    _wait_until(
        lambda: cache.invalidations >= before + transactions, "the change notifications arrived"
    )


def _write_unheard(sql: str, **params: object) -> None:
    """A change no trigger reports (replica mode skips triggers): what a lost feed would miss."""
    with engine().begin() as conn:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        conn.exec_driver_sql(sql, params)


def test_a_cached_page_shows_each_change_at_once(app, client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    headers = accounts.auth(owner)
    with _notified(app):
        sermon = make_sermon(owner["id"], title="Before")
    assert _cached_catalog(client) == ["Before"]

    patched = client.patch(f"/api/v1/content/{sermon}", json={"title": "After"}, headers=headers)
    assert patched.status_code == 200, patched.text
    assert _titles(_catalog(client)) == ["After"]

    assert _cached_catalog(client) == ["After"]
    assert client.post(f"/api/v1/content/{sermon}/unpublish", headers=headers).status_code == 200
    assert _titles(_catalog(client)) == []

    assert _cached_catalog(client) == []
    published = client.post(
        f"/api/v1/content/{sermon}/publish", json={"visibility": "public"}, headers=headers
    )
    assert published.status_code == 200, published.text
    assert _titles(_catalog(client)) == ["After"]

    assert _cached_catalog(client) == ["After"]
    assert client.delete(f"/api/v1/content/{sermon}", headers=headers).status_code == 204
    assert _titles(_catalog(client)) == []


def test_a_worker_s_write_drops_cached_answers_through_the_trigger(app, client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    with _notified(app):
        sermon = make_sermon(owner["id"], title="Draft title")
    assert _cached_catalog(client) == ["Draft title"]
    playback = client.get(f"/api/v1/content/{sermon}/playback")
    assert client.get(f"/api/v1/content/{sermon}/playback").headers["x-cache"] == "hit"
    assert playback.json()["hls"] is None

    # Another process (a Dramatiq worker, another API worker) writes: only PostgreSQL tells us.
    with _notified(app), session_scope() as session:
        content = session.get(Content, sermon)
        assert content is not None
        content.title = "Final title"
    assert _titles(_catalog(client)) == ["Final title"]

    with _notified(app), session_scope() as session:
        session.add(
            Asset(
                content_id=sermon,
                generation=1,
                kind="hls_master",
                key=f"media/{sermon}/g1/hls/master.m3u8",
                mime_type="application/vnd.apple.mpegurl",
            )
        )
    assert client.get(f"/api/v1/content/{sermon}/playback").json()["hls"].endswith("master.m3u8")

    with _notified(app), session_scope() as session:
        content = session.get(Content, sermon)
        assert content is not None
        # Unpublished elsewhere: anonymous listeners no longer see it. (Not a reprocess: that
        # keeps its live generation served, tests/content/test_generations_stay_served.py.)
        content.published_at = None
    assert client.get(f"/api/v1/content/{sermon}/playback").status_code == 404
    assert _titles(_catalog(client)) == []


@pytest.mark.parametrize("visibility", ["private", "unlisted"])
def test_signed_playback_is_never_kept(client, accounts, visibility: str) -> None:  # type: ignore[no-untyped-def]
    owner, other = accounts.make("creator"), accounts.make("creator")
    sermon = make_sermon(owner["id"], visibility=visibility)
    path = f"/api/v1/content/{sermon}/playback"

    for _ in range(2):
        mine = client.get(path, headers=accounts.auth(owner))
        assert mine.status_code == 200 and mine.json()["expires_at"] is not None
        assert mine.headers["cache-control"] == "private, no-store"
        assert "x-cache" not in mine.headers
        assert client.get(path, headers=accounts.auth(other)).status_code == (
            200 if visibility == "unlisted" else 404
        )
        anonymous = client.get(path)
        if visibility == "private":
            assert anonymous.status_code == 404
        else:  # unlisted plays by its id, through a grant of its own
            assert anonymous.status_code == 200 and anonymous.json()["expires_at"] is not None
            assert "x-cache" not in anonymous.headers
    assert len(client.app.state.response_cache) == 0


def test_public_playback_is_kept_and_the_same_for_everyone(app, client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    with _notified(app):
        sermon = make_sermon(owner["id"])
    path = f"/api/v1/content/{sermon}/playback"
    first, second = client.get(path), client.get(path)
    assert first.headers["cache-control"] == "public, max-age=15"
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert second.json() == first.json() and second.json()["expires_at"] is None
    assert client.get(f"/api/v1/content/{sermon}-nope/playback").status_code == 404
    assert client.get(f"/api/v1/content/{sermon}-nope/playback").status_code == 404
    metrics = client.get("/metrics").text
    assert 'cnt_api_response_cache_lookups_total{result="hit"}' in metrics
    assert "cnt_api_response_cache_enabled 1.0" in metrics


def test_an_authenticated_request_bypasses_the_cache(app, client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    with _notified(app):
        sermon = make_sermon(owner["id"], title="Old")
    assert _cached_catalog(client) == ["Old"]
    _write_unheard("UPDATE content SET title = 'New' WHERE id = %(id)s", id=sermon)

    signed_in = _catalog(client, accounts.auth(owner))
    assert _titles(signed_in) == ["New"] and "x-cache" not in signed_in.headers
    with_cookie = client.get("/api/v1/catalog?limit=20", headers={"Cookie": "session=x"})
    assert _titles(with_cookie) == ["New"] and "x-cache" not in with_cookie.headers
    # The anonymous page is still the cached one: the bypass really skipped a cache that had it.
    assert _titles(_catalog(client)) == ["Old"]


def test_the_cache_turns_off_when_the_change_feed_is_lost(app, client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    with _notified(app):
        sermon = make_sermon(owner["id"], title="Old")
    assert _cached_catalog(client) == ["Old"]
    _write_unheard("UPDATE content SET title = 'New' WHERE id = %(id)s", id=sermon)
    assert _titles(_catalog(client)) == ["Old"]  # unheard: still cached

    listener = app.state.change_listener
    connects = listener.connects
    assert listener.connection is not None
    with _notified(app), engine().begin() as conn:  # the feed's connection dies
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(%(pid)s)", {"pid": listener.connection.get_server_pid()}
        )
    assert _titles(_catalog(client)) == ["New"]

    _wait_until(lambda: listener.connects > connects, "the change feed reconnected")
    assert _cached_catalog(client) == ["New"]
    with _notified(app), session_scope() as session:  # and it hears changes again
        content = session.get(Content, sermon)
        assert content is not None
        content.title = "Newer"
    assert _titles(_catalog(client)) == ["Newer"]


def test_the_key_ignores_query_order_but_not_values(app, client, accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    with _notified(app, transactions=2):
        make_sermon(owner["id"], title="One", speaker="Ann")
        make_sermon(owner["id"], title="Two", speaker="Bob")
    a = client.get("/api/v1/catalog?speaker=ann&limit=5")
    b = client.get("/api/v1/catalog?limit=5&speaker=ann")
    c = client.get("/api/v1/catalog?limit=5&speaker=bob")
    assert (a.headers["x-cache"], b.headers["x-cache"], c.headers["x-cache"]) == (
        "miss",
        "hit",
        "miss",
    )
    assert _titles(b) == ["One"] and _titles(c) == ["Two"]
    bad = client.get("/api/v1/catalog?limit=500")
    assert bad.status_code >= 400 and "x-cache" not in bad.headers


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_store_expires_bounds_and_refuses_answers_older_than_a_change() -> None:
    clock = FakeClock()
    cache = ResponseCache(ttl_s=10, max_entries=2, clock=clock)
    assert not cache.put("/a", cache.generation, 200, [], b"a")  # off until the feed is live
    cache.enable()

    started = cache.generation
    cache.invalidate()  # a change lands while a miss is reading the database
    assert not cache.put("/a", started, 200, [], b"stale") and cache.get("/a") is None

    for key in ("/a", "/b", "/c"):
        assert cache.put(key, cache.generation, 200, [], key.encode())
    assert cache.get("/a") is None and len(cache) == 2  # the oldest went
    entry = cache.get("/b")
    assert entry is not None and entry.body == b"/b"

    clock.now += 10
    assert cache.get("/b") is None and cache.get("/c") is None

    assert cache.put("/d", cache.generation, 200, [], b"d")
    cache.disable()
    assert cache.get("/d") is None and not cache.put("/d", cache.generation, 200, [], b"d")


def test_sqlite_has_no_change_feed_so_nothing_is_cached(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import msgspec
    from litestar.testing import TestClient

    from api.app import create_app
    from models.migrate import upgrade
    from settings import get_settings

    upgrade(f"sqlite:///{tmp_path / 'cnt.db'}")
    settings = msgspec.structs.replace(
        get_settings(), database_url=f"sqlite+aiosqlite:///{tmp_path / 'cnt.db'}"
    )
    with TestClient(create_app(settings)) as sqlite_client:
        answers = [sqlite_client.get("/api/v1/catalog") for _ in range(2)]
        assert sqlite_client.app.state.change_listener is None
    assert [a.status_code for a in answers] == [200, 200]
    assert all("x-cache" not in a.headers for a in answers)


def test_concurrent_misses_of_one_key_wait_for_the_first() -> None:
    async def scenario() -> None:
        cache = ResponseCache(ttl_s=10, max_entries=10)
        cache.enable()
        leader = cache.lead("/a")
        follower = cache.follow("/a")
        assert follower is leader and cache.follow("/b") is None
        assert cache.put("/a", cache.generation, 200, [], b"a")
        cache.settle("/a", leader)
        answer = await follower
        assert answer is not None and answer.body == b"a"
        assert cache.follow("/a") is None

        # A change while the first miss reads: it keeps nothing, its followers compute their
        # own answers, and later misses lead anew.
        leader = cache.lead("/b")
        started = cache.generation
        cache.invalidate()
        assert cache.follow("/b") is None
        assert not cache.put("/b", started, 200, [], b"stale")
        cache.settle("/b", leader)
        assert await leader is None

    asyncio.run(scenario())


def test_another_api_process_drops_its_cache_when_this_one_writes(
    live_api: str, client, accounts
) -> None:  # type: ignore[no-untyped-def]
    import httpx

    owner = accounts.make("creator")
    sermon = make_sermon(owner["id"], title="Before")
    with httpx.Client(base_url=live_api) as other:  # uvicorn: its own process, cache, LISTEN

        def titles() -> tuple[list[str], str]:
            answer = other.get("/api/v1/catalog")
            return _titles(answer), answer.headers.get("x-cache", "")

        def invalidations() -> float:
            for line in other.get("/metrics").text.splitlines():
                if line.startswith("cnt_api_response_cache_invalidations_total "):
                    return float(line.split()[1])
            raise AssertionError("no invalidation counter in /metrics")

        _wait_until(lambda: titles() == (["Before"], "hit"), "the other process cached the page")
        before = invalidations()
        patched = client.patch(
            f"/api/v1/content/{sermon}", json={"title": "After"}, headers=accounts.auth(owner)
        )
        assert patched.status_code == 200, patched.text
        # Its notification reaches the other process a moment later (no timing is asserted);
        # the counter says it was the notification, not the page's lifetime running out.
        _wait_until(lambda: invalidations() > before, "the other process heard the change")
        assert titles()[0] == ["After"]
        _wait_until(lambda: titles() == (["After"], "hit"), "and cached the new page")
