"""A verified access token is kept until its own exp so repeat requests skip PyJWT, without
keeping an expired token alive or an account's powers past a change to it."""

from __future__ import annotations

import time

import jwt

from api.auth.token_cache import VerifiedTokens
from api.auth.tokens import VERIFIED
from tests.conftest import Accounts

V1 = "/api/v1"


def _token_expiring_in(user: dict[str, str], seconds: float) -> tuple[str, int]:
    from settings import get_settings

    claims = jwt.decode(user["access_token"], options={"verify_signature": False})
    claims["exp"] = int(time.time() + seconds) + 1
    return jwt.encode(claims, get_settings().jwt_secret, algorithm="HS256"), claims["exp"]


def test_a_kept_token_is_refused_the_moment_it_expires(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    from settings import get_settings

    user = accounts.make("creator")
    token, exp = _token_expiring_in(user, 1.5)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{V1}/auth/me", headers=headers).status_code == 200
    assert VERIFIED.get(get_settings().jwt_secret, token) is not None  # kept, verified once
    time.sleep(max(0.0, exp - time.time()) + 0.05)
    refused = client.get(f"{V1}/auth/me", headers=headers)
    assert refused.status_code == 401, refused.text
    assert "expired" in refused.json()["detail"]
    assert VERIFIED.get(get_settings().jwt_secret, token) is None


def test_a_disabled_account_with_a_kept_token_is_refused_on_its_next_request(
    client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    from settings import get_settings

    member, admin = accounts.make("creator"), accounts.make("admin")
    made = client.post(f"{V1}/content", json={"title": "Before"}, headers=accounts.auth(member))
    assert made.status_code == 201
    assert VERIFIED.get(get_settings().jwt_secret, member["access_token"]) is not None
    disabled = client.patch(
        f"{V1}/users/{member['id']}", json={"disabled": True}, headers=accounts.auth(admin)
    )
    assert disabled.status_code == 200, disabled.text
    me = client.get(f"{V1}/auth/me", headers=accounts.auth(member))
    assert me.status_code == 401 and "disabled" in me.json()["detail"]
    # A demotion too: the kept token still says creator, the answer follows the database.
    creator = accounts.make("creator")
    assert client.get(f"{V1}/auth/me", headers=accounts.auth(creator)).json()["role"] == "creator"
    demoted = client.patch(
        f"{V1}/users/{creator['id']}/role", json={"role": "listener"}, headers=accounts.auth(admin)
    )
    assert demoted.status_code == 200, demoted.text
    again = client.post(f"{V1}/content", json={"title": "After"}, headers=accounts.auth(creator))
    assert again.status_code == 403, again.text


def test_a_token_signed_with_another_secret_is_not_taken_for_a_kept_one(
    client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    user = accounts.make("admin")
    assert client.get(f"{V1}/auth/me", headers=accounts.auth(user)).status_code == 200
    claims = jwt.decode(user["access_token"], options={"verify_signature": False})
    forged = jwt.encode(claims, "x" * 48, algorithm="HS256")
    refused = client.get(f"{V1}/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401


def test_the_kept_tokens_are_capped_least_recently_used_first() -> None:
    kept: VerifiedTokens[str] = VerifiedTokens(max_entries=3)
    later = time.time() + 60
    for name in ("a", "b", "c"):
        kept.put("secret", name, later, name)
    assert kept.get("secret", "a") == "a"  # now the most recent
    kept.put("secret", "d", later, "d")
    kept.put("secret", "e", later, "e")
    assert len(kept) == 3
    assert [kept.get("secret", name) for name in "abcde"] == ["a", None, None, "d", "e"]
    assert kept.get("another secret", "a") is None
    kept.put("secret", "old", 1000.0, "old")
    assert kept.get("secret", "old", now=999.9) == "old"
    assert kept.get("secret", "old", now=1000.0) is None  # exp itself is too late, as in PyJWT
    assert len(kept) == 2  # an expired entry found is dropped
