"""A change to an account takes effect on its next request, whatever tokens it holds; the last
admin cannot lock everyone out; the CLI does not silently reset a password."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import Accounts
from tests.jobs.conftest import ROOT

V1 = "/api/v1"


def test_a_demoted_creators_token_loses_the_role_on_its_next_request(client, accounts) -> None:  # type: ignore[no-untyped-def]
    creator, admin = accounts.make("creator"), accounts.make("admin")
    made = client.post(f"{V1}/content", json={"title": "Before"}, headers=accounts.auth(creator))
    assert made.status_code == 201
    demoted = client.patch(
        f"{V1}/users/{creator['id']}/role", json={"role": "listener"}, headers=accounts.auth(admin)
    )
    assert demoted.status_code == 200, demoted.text
    # The same access token, still inside its 15 minutes.
    again = client.post(f"{V1}/content", json={"title": "After"}, headers=accounts.auth(creator))
    assert again.status_code == 403, again.text
    assert again.json()["code"] == "forbidden"
    assert client.get(f"{V1}/auth/me", headers=accounts.auth(creator)).json()["role"] == "listener"


def test_the_last_admin_cannot_demote_themself(client, accounts) -> None:  # type: ignore[no-untyped-def]
    admin = accounts.make("admin")
    with_others = client.get(f"{V1}/auth/me", headers=accounts.auth(admin))
    assert with_others.status_code == 200
    refused = client.patch(
        f"{V1}/users/{admin['id']}/role", json={"role": "creator"}, headers=accounts.auth(admin)
    )
    assert refused.status_code == 409, refused.text
    assert "last admin" in refused.json()["detail"]
    second = accounts.make("admin")
    allowed = client.patch(
        f"{V1}/users/{admin['id']}/role", json={"role": "creator"}, headers=accounts.auth(second)
    )
    assert allowed.status_code == 200, allowed.text


def _cnt(*args: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from cli import main; main()", *args],
        cwd=ROOT,
        env={**os.environ, "CNT_USER_PASSWORD": password, "CNT_ADMIN_PASSWORD": password},
        capture_output=True,
        text=True,
        input="",
        timeout=60,
    )


def test_creating_an_existing_account_does_not_reset_its_password(
    client, accounts: Accounts
) -> None:  # type: ignore[no-untyped-def]
    user = accounts.make("creator")
    done = _cnt("users", "create", user["email"], "--role", "creator", password="another-password")
    assert done.returncode != 0
    assert "already exists" in done.stderr and "--reset" in done.stderr
    signed = {"email": user["email"], "password": user["password"]}
    assert client.post(f"{V1}/auth/login", json=signed).status_code == 200
    reset = _cnt("users", "create", user["email"], "--reset", password="another-password")
    assert reset.returncode == 0, reset.stderr
    assert client.post(f"{V1}/auth/login", json=signed).status_code == 401


def test_a_disabled_account_is_refused_on_its_next_request(client, accounts) -> None:  # type: ignore[no-untyped-def]
    member, admin = accounts.make("creator"), accounts.make("admin")
    disabled = client.patch(
        f"{V1}/users/{member['id']}", json={"disabled": True}, headers=accounts.auth(admin)
    )
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True, disabled.text
    me = client.get(f"{V1}/auth/me", headers=accounts.auth(member))
    assert me.status_code == 401 and "disabled" in me.json()["detail"]
    signed = {"email": member["email"], "password": member["password"]}
    login = client.post(f"{V1}/auth/login", json=signed)
    assert login.status_code == 401 and "disabled" in login.json()["detail"]
    refresh = client.post(f"{V1}/auth/refresh", json={"refresh_token": member["refresh_token"]})
    assert refresh.status_code == 401
    enabled = client.patch(
        f"{V1}/users/{member['id']}", json={"disabled": False}, headers=accounts.auth(admin)
    )
    assert enabled.status_code == 200
    assert client.post(f"{V1}/auth/login", json=signed).status_code == 200
