"""A sermon's comments over its WebSocket (`/content/{id}/comments/ws`), on the real API,
PostgreSQL and Redis: a visitor's socket hears a public sermon's new comment and its removal,
a private sermon refuses the visitor's socket, and a sermon made private while the socket is
open stops reaching it (while private)."""

from __future__ import annotations

import pytest
from litestar.exceptions import WebSocketDisconnect

from tests.conftest import Accounts
from tests.sermons import make_sermon

V1 = "/api/v1"


def _sermon_with_comments(client, owner: dict[str, str], visibility: str = "public") -> str:  # type: ignore[no-untyped-def]
    sermon = make_sermon(owner["id"], visibility=visibility)
    switched = client.put(
        f"{V1}/content/{sermon}/comments/enabled",
        json={"enabled": True},
        headers=Accounts.auth(owner),
    )
    assert switched.status_code == 200, switched.text
    return sermon


def test_a_visitors_socket_hears_a_public_sermons_comment_until_it_is_made_private(
    client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    owner, member = accounts.make("creator"), accounts.make("listener")
    sermon = _sermon_with_comments(client, owner)
    with client.websocket_connect(f"{V1}/content/{sermon}/comments/ws") as socket:
        assert socket.receive_json(timeout=10)["type"] == "ready"
        said = client.post(
            f"{V1}/content/{sermon}/comments",
            json={"text": "Amen to that"},
            headers=Accounts.auth(member),
        )
        assert said.status_code == 201, said.text
        created = socket.receive_json(timeout=10)
        assert created["type"] == "comment_created"
        assert created["comment"]["text"] == "Amen to that"
        gone = client.delete(
            f"{V1}/content/{sermon}/comments/{said.json()['id']}", headers=Accounts.auth(member)
        )
        assert gone.status_code == 204, gone.text
        removed = socket.receive_json(timeout=10)
        assert removed["type"] == "comment_removed"
        assert removed["comment_id"] == said.json()["id"]

        private = client.patch(
            f"{V1}/content/{sermon}", json={"visibility": "private"}, headers=Accounts.auth(owner)
        )
        assert private.status_code == 200, private.text
        note = client.post(
            f"{V1}/content/{sermon}/comments",
            json={"text": "A note only the owner sees"},
            headers=Accounts.auth(owner),
        )
        assert note.status_code == 201, note.text
        # Public again, a comment goes out: it is the next thing the visitor hears, so the
        # note made in between never reached them.
        public = client.patch(
            f"{V1}/content/{sermon}", json={"visibility": "public"}, headers=Accounts.auth(owner)
        )
        assert public.status_code == 200, public.text
        again = client.post(
            f"{V1}/content/{sermon}/comments",
            json={"text": "Open to all again"},
            headers=Accounts.auth(member),
        )
        assert again.status_code == 201, again.text
        heard = socket.receive_json(timeout=10)
        assert heard["type"] == "comment_created"
        assert heard["comment"]["text"] == "Open to all again"


def test_a_private_sermons_socket_refuses_a_visitor(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")
    sermon = _sermon_with_comments(client, owner, visibility="private")
    visitor = client.websocket_connect(f"{V1}/content/{sermon}/comments/ws")
    with pytest.raises(WebSocketDisconnect) as refused, visitor as socket:
        socket.receive_json(timeout=10)
    assert refused.value.code == 4404
    path = f"{V1}/content/{sermon}/comments/ws?token={owner['access_token']}"
    with client.websocket_connect(path) as socket:
        assert socket.receive_json(timeout=10)["type"] == "ready"
