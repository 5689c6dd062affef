"""Who may call what on the platform's routes: every route of tests/platform/matrix_rules.py,
each of six callers (anonymous, a listener, another member who is a creator, the owner, a
moderator, an admin), against fresh subjects made for each request.

Subjects are private to "owner" where a route is about something of theirs (a playlist, a
draft, a story's narration, a service); a post and its comment are the owner's and seen by
every member, so the rule there is about who may change them.
"""

from __future__ import annotations

from typing import Any

import pytest

from models import Content, PlaybackProgress, Playlist, PlaylistItem
from tests.conftest import Accounts
from tests.platform.matrix_rules import (
    AUTHOR,
    AUTHOR_OR_MODERATOR,
    CREATOR,
    MODERATOR,
    OWNER,
    PUBLIC,
    RULES,
    SIGNED_IN,
    V1,
)
from workers.db import session_scope

ACTORS = ("anonymous", "listener", "other_member", "owner", "moderator", "admin")
ALLOWED = {
    PUBLIC: set(ACTORS),
    SIGNED_IN: set(ACTORS) - {"anonymous"},
    CREATOR: {"other_member", "owner", "admin"},
    MODERATOR: {"moderator", "admin"},
    OWNER: {"owner", "admin"},
    AUTHOR: {"owner"},
    AUTHOR_OR_MODERATOR: {"owner", "moderator", "admin"},
    "nobody": set(),
}
# A rule about who the caller is answers 401/403; one about a subject may also answer 404, so
# a private thing's existence is not revealed.
ROLE_RULES = {PUBLIC, SIGNED_IN, CREATOR, MODERATOR}


class Subjects:
    def __init__(self, users: dict[str, dict[str, str]]) -> None:
        self.users = users

    def make(self) -> dict[str, str]:
        owner = self.users["owner"]["id"]
        with session_scope() as session:
            content = Content(owner_id=owner, title="Draft", status="draft", visibility="private")
            playlist = Playlist(owner_id=owner, title="Private list", visibility="private")
            session.add_all([content, playlist])
            session.flush()
            session.add(PlaylistItem(playlist_id=playlist.id, content_id=content.id, position=0))
            # Every caller has started the draft, so reading progress back is not a 404.
            for user in self.users.values():
                session.add(
                    PlaybackProgress(user_id=user["id"], content_id=content.id, position=1.0)
                )
            session.flush()
            return {"content_id": content.id, "playlist_id": playlist.id}


def _bodies(values: dict[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    """Valid bodies where a handler checks ownership after parsing (a 400 would hide the rule)."""
    return {
        ("POST", f"{V1}/playlists"): {"json": {"title": "Mine"}},
        ("PATCH", f"{V1}/playlists/{{playlist_id:str}}"): {"json": {"title": "Renamed"}},
        ("POST", f"{V1}/playlists/{{playlist_id:str}}/items"): {
            "json": {"content_id": values["content_id"]}
        },
        ("PUT", f"{V1}/playlists/{{playlist_id:str}}/items"): {
            "json": {"content_ids": [values["content_id"]]}
        },
        ("PUT", f"{V1}/me/progress/{{content_id:str}}"): {"json": {"position": 12.5}},
    }


@pytest.fixture()
def users(accounts: Accounts) -> dict[str, dict[str, str]]:
    return {
        "listener": accounts.make("listener"),
        "other_member": accounts.make("creator"),
        "owner": accounts.make("creator"),
        "moderator": accounts.make("moderator"),
        "admin": accounts.make("admin"),
    }


def _fill(template: str, values: dict[str, str]) -> str:
    path = template
    for name, value in values.items():
        path = path.replace(f"{{{name}:str}}", value)
    assert "{" not in path, f"no subject for {template}"
    return path


def test_every_platform_route_is_checked_for_every_caller(
    client, users: dict[str, dict[str, str]]
) -> None:  # type: ignore[no-untyped-def]
    subjects = Subjects(users)
    failures: list[str] = []
    for (method, template), rule in sorted(RULES.items()):
        for actor in ACTORS:
            values = subjects.make()
            extra = _bodies(values).get((method, template), {})
            headers = {} if actor == "anonymous" else Accounts.auth(users[actor])
            status = client.request(
                method, _fill(template, values), headers=headers, **extra
            ).status_code
            denied = {401, 403} if rule in ROLE_RULES else {401, 403, 404}
            allowed = actor in ALLOWED[rule]
            if status >= 500 or allowed == (status in denied):
                failures.append(f"{method} {template} as {actor} ({rule}): {status}")
    assert not failures, "\n".join(failures)


def test_a_moderator_is_a_role_an_admin_can_give(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    admin, member = accounts.make("admin"), accounts.make("listener")
    response = client.patch(
        f"{V1}/users/{member['id']}/role",
        json={"role": "moderator"},
        headers=Accounts.auth(admin),
    )
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "moderator"
