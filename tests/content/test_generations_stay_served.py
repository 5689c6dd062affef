"""A published sermon stays on air while it is processed again: listeners keep the live generation
(playback, the catalog, the master through /cdn) while a new source or a reprocess runs, and
after a bad new source fails; the creator sees the failed attempt; publishing again keeps the
first publish date."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from tests.conftest import wait_for_status
from tests.jobs.conftest import upload


def _listener_hears(client, content_id: str, generation: int) -> None:  # type: ignore[no-untyped-def]
    """Anonymous playback answers the live generation and its master comes through /cdn."""
    playback = client.get(f"/api/v1/content/{content_id}/playback")
    assert playback.status_code == 200, playback.text
    assert playback.json()["generation"] == generation
    master = client.get(urlsplit(playback.json()["hls"]).path)
    assert master.status_code == 200, master.text
    assert master.text.startswith("#EXTM3U")
    catalog = client.get("/api/v1/catalog").json()["items"]
    assert content_id in [item["id"] for item in catalog]
    page = client.get(f"/library/{content_id}")  # the player page, as a listener opens it
    assert page.status_code == 200 and "nothing to play yet" not in page.text


def _published(client, accounts, worker, tone_m4a: Path) -> tuple[str, dict[str, str], str]:  # type: ignore[no-untyped-def]
    headers = accounts.auth(accounts.make("creator"))
    content_id = upload(client, headers, tone_m4a)
    assert wait_for_status(client, content_id, headers, {"ready", "failed"})["status"] == "ready"
    published = client.post(
        f"/api/v1/content/{content_id}/publish", json={"visibility": "public"}, headers=headers
    )
    assert published.status_code == 200, published.text
    _listener_hears(client, content_id, 1)
    return content_id, headers, published.json()["published_at"]


def test_a_bad_new_source_fails_while_the_live_generation_keeps_playing(
    client, accounts, worker, tone_m4a: Path
) -> None:  # type: ignore[no-untyped-def]
    content_id, headers, _ = _published(client, accounts, worker, tone_m4a)

    sent = client.put(
        f"/api/v1/content/{content_id}/source", content=b"not a sermon " * 500, headers=headers
    )
    assert sent.status_code == 202, sent.text
    _listener_hears(client, content_id, 1)  # while the new source is processed

    failed = wait_for_status(client, content_id, headers, {"ready", "failed"})
    assert failed["status"] == "failed" and failed["error"], failed  # the creator is told
    assert failed["generation"] == 2
    _listener_hears(client, content_id, 1)  # the old one still plays


def test_a_reprocess_keeps_it_on_air_and_republishing_keeps_its_date(
    client, accounts, worker, tone_m4a: Path
) -> None:  # type: ignore[no-untyped-def]
    content_id, headers, first_published = _published(client, accounts, worker, tone_m4a)

    again = client.post(f"/api/v1/content/{content_id}/reprocess", headers=headers)
    assert again.status_code == 202, again.text
    _listener_hears(client, content_id, 1)  # while the new generation is made
    republished = client.post(
        f"/api/v1/content/{content_id}/publish", json={"visibility": "public"}, headers=headers
    )
    assert republished.status_code == 200, republished.text
    assert republished.json()["published_at"] == first_published

    assert wait_for_status(client, content_id, headers, {"ready", "failed"})["status"] == "ready"
    _listener_hears(client, content_id, 2)
    republished = client.post(
        f"/api/v1/content/{content_id}/publish", json={"visibility": "public"}, headers=headers
    )
    assert republished.status_code == 200, republished.text
    assert republished.json()["published_at"] == first_published
