"""How much members may write comes from the settings (rates, the edit window, lengths), and a
comment on a sermon can be reported into the moderators' queue like a comment on a post."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest
from litestar.testing import TestClient

from api.app import create_app
from settings import get_settings
from tests.conftest import Accounts
from tests.sermons import make_sermon

V1 = "/api/v1"


@pytest.fixture()
def strict_client(clean_db: None) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The API of a church that set tight limits (every one of them a setting)."""
    settings = msgspec.structs.replace(
        get_settings(),
        community_posts_per_minute=2,
        community_comments_per_minute=1,
        community_edit_window_s=0,
        community_post_max_chars=40,
        community_comment_max_chars=12,
        chat_message_max_chars=10,
    )
    with TestClient(create_app(settings), base_url="http://testserver.local") as test_client:
        yield test_client


def test_rates_the_edit_window_and_lengths_come_from_the_settings(strict_client) -> None:  # type: ignore[no-untyped-def]
    member = Accounts(strict_client).make("listener")
    auth = Accounts.auth(member)

    too_long = strict_client.post(f"{V1}/posts", json={"text": "x" * 41}, headers=auth)
    assert too_long.status_code == 400, too_long.text
    assert too_long.json()["code"] == "validation_failed"
    assert "at most 40" in too_long.json()["detail"]

    first = strict_client.post(f"{V1}/posts", json={"text": "Hello"}, headers=auth)
    assert first.status_code == 201, first.text
    assert (
        strict_client.post(f"{V1}/posts", json={"text": "Again"}, headers=auth).status_code == 201
    )
    third = strict_client.post(f"{V1}/posts", json={"text": "Third"}, headers=auth)
    assert third.status_code == 429 and third.json()["code"] == "rate_limited"
    assert "at most 2 posts a minute" in third.json()["detail"]

    closed = strict_client.patch(
        f"{V1}/posts/{first.json()['id']}", json={"text": "Hello!"}, headers=auth
    )
    assert closed.status_code == 409 and closed.json()["code"] == "edit_window_closed"

    comments = f"{V1}/posts/{first.json()['id']}/comments"
    long_comment = strict_client.post(comments, json={"text": "y" * 13}, headers=auth)
    assert long_comment.status_code == 400, long_comment.text
    assert strict_client.post(comments, json={"text": "Amen"}, headers=auth).status_code == 201
    assert strict_client.post(comments, json={"text": "Amen"}, headers=auth).status_code == 429

    # Chat: the length is refused before the service is even looked up.
    chat = f"{V1}/live/sessions/no-such-service/chat"
    assert strict_client.post(chat, json={"text": "z" * 11}, headers=auth).status_code == 400
    assert strict_client.post(chat, json={"text": "Peace"}, headers=auth).status_code == 404


def test_the_default_limits_are_the_ones_the_schemas_used_to_hold() -> None:
    settings = get_settings()
    assert settings.community_post_max_chars == 5000
    assert settings.community_comment_max_chars == 2000
    assert settings.chat_message_max_chars == 500
    assert settings.community_edit_window_s == 15 * 60


def test_a_comment_on_a_sermon_is_reported_into_the_moderators_queue(
    client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    owner, member, reporter, moderator = (
        accounts.make("creator"),
        accounts.make("listener"),
        accounts.make("listener"),
        accounts.make("moderator"),
    )
    sermon = make_sermon(owner["id"])
    switched = client.put(
        f"{V1}/content/{sermon}/comments/enabled",
        json={"enabled": True},
        headers=Accounts.auth(owner),
    )
    assert switched.status_code == 200, switched.text
    comments = f"{V1}/content/{sermon}/comments"
    said = client.post(comments, json={"text": "Buy cheap watches"}, headers=Accounts.auth(member))
    assert said.status_code == 201, said.text
    comment_id = said.json()["id"]

    reported = client.post(
        f"{comments}/{comment_id}/reports", json={"reason": "spam"}, headers=Accounts.auth(reporter)
    )
    assert reported.status_code == 201, reported.text
    assert reported.json()["target_type"] == "comment"
    assert reported.json()["target_id"] == comment_id
    again = client.post(
        f"{comments}/{comment_id}/reports",
        json={"reason": "still"},
        headers=Accounts.auth(reporter),
    )
    assert again.json()["id"] == reported.json()["id"]  # once per member and comment
    unknown = client.post(
        f"{comments}/not-a-comment/reports", json={"reason": "x"}, headers=Accounts.auth(reporter)
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"

    queue = client.get(
        f"{V1}/moderation/reports", params={"status": "open"}, headers=Accounts.auth(moderator)
    )
    assert queue.status_code == 200, queue.text
    (entry,) = queue.json()["items"]
    assert entry["comment"]["id"] == comment_id
    assert entry["comment"]["content_id"] == sermon
    assert entry["reason"] == "spam"

    hidden = client.post(
        f"{V1}/moderation/comments/{comment_id}",
        json={"action": "hide", "reason": "spam"},
        headers=Accounts.auth(moderator),
    )
    assert hidden.status_code == 200, hidden.text
    seen = client.get(comments, headers=Accounts.auth(reporter)).json()["items"]
    assert comment_id not in [c["id"] for c in seen]
    # A hidden comment cannot be reported again by someone who cannot see it.
    late = client.post(
        f"{comments}/{comment_id}/reports", json={"reason": "x"}, headers=Accounts.auth(owner)
    )
    assert late.status_code == 404
