"""Small things that misled a new user: HEAD on media (podcast validators use it), a creator's
own list, finding an account by email, and `visibility` on create honoured."""

from __future__ import annotations

from pathlib import Path

import httpx

from models import Content, User, utcnow
from settings import get_settings
from tests.conftest import Accounts
from workers.db import session_scope

V1 = "/api/v1"


def _public_episode() -> tuple[str, bytes]:
    """A published, public, ready content with an MP3 on the local CDN."""
    audio = bytes(range(256)) * 40
    with session_scope() as session:
        owner = User(email="head@church.test", password_hash="x", role="creator")
        session.add(owner)
        session.flush()
        content = Content(
            owner_id=owner.id, title="Psalm 23", status="ready", visibility="public",
            generation=1, live_generation=1, media_type="audio", published_at=utcnow(),
        )  # fmt: skip
        session.add(content)
        session.flush()
        key = f"media/{content.id}/g1/audio.mp3"
        path = Path(get_settings().storage_path) / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(audio)
        return key, audio


def test_head_on_a_media_object_answers_its_size_and_type_without_a_body(
    live_api: str,
) -> None:
    key, audio = _public_episode()
    head = httpx.head(f"{live_api}/cdn/{key}")
    assert head.status_code == 200, head.text
    assert head.headers["content-length"] == str(len(audio))
    assert head.headers["content-type"].startswith("audio/mpeg")
    assert head.content == b""
    assert httpx.get(f"{live_api}/cdn/{key}").content == audio


def test_a_creator_lists_their_own_content_newest_first(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    mine, other = accounts.make("creator"), accounts.make("creator")
    for title in ("First", "Second"):
        client.post(f"{V1}/content", json={"title": title}, headers=accounts.auth(mine))
    client.post(f"{V1}/content", json={"title": "Not mine"}, headers=accounts.auth(other))
    listed = client.get(f"{V1}/content", headers=accounts.auth(mine))
    assert listed.status_code == 200, listed.text
    assert [item["title"] for item in listed.json()] == ["Second", "First"]
    assert client.get(f"{V1}/content").status_code == 401


def test_an_admin_finds_an_account_by_email(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    member, admin = accounts.make("listener"), accounts.make("admin")
    found = client.get(
        f"{V1}/users", params={"email": member["email"].upper()}, headers=accounts.auth(admin)
    )
    assert found.status_code == 200, found.text
    assert [user["id"] for user in found.json()] == [member["id"]]
    refused = client.get(f"{V1}/users", params={"email": "x"}, headers=accounts.auth(member))
    assert refused.status_code == 403


def test_visibility_on_create_is_honoured(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.auth(accounts.make("creator"))
    made = client.post(
        f"{V1}/content", json={"title": "Open", "visibility": "public"}, headers=creator
    )
    assert made.status_code == 201 and made.json()["visibility"] == "public"
    # Still a draft: nothing is published until it is ready and published.
    assert made.json()["published_at"] is None
