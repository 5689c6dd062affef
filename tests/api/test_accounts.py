"""Accounts: register, login, refresh, roles; bad input gets a clear error with a stable code."""

from __future__ import annotations

import time

import jwt


def test_register_then_login_returns_tokens_for_a_listener(client) -> None:
    made = client.post(
        "/api/v1/auth/register",
        json={"email": "Ruth@Church.test", "password": "whither-thou-goest"},
    )
    assert made.status_code == 201
    login = client.post(
        "/api/v1/auth/login", json={"email": "ruth@church.test", "password": "whither-thou-goest"}
    )
    assert login.status_code == 200
    me = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    )
    assert me.json()["role"] == "listener"
    assert me.json()["email"] == "ruth@church.test"


def test_registering_an_email_twice_is_a_conflict(client) -> None:
    body = {"email": "naomi@church.test", "password": "long-enough-pw"}
    assert client.post("/api/v1/auth/register", json=body).status_code == 201
    again = client.post("/api/v1/auth/register", json=body)
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, accounts) -> None:
    user = accounts.make("listener")
    wrong = client.post(
        "/api/v1/auth/login", json={"email": user["email"], "password": "not-the-password"}
    )
    unknown = client.post(
        "/api/v1/auth/login", json={"email": "nobody@church.test", "password": "whatever-pw"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {"code": "unauthorized", "detail": "wrong email or password"}
    )


def test_missing_field_names_the_field(client) -> None:
    response = client.post("/api/v1/auth/register", json={"email": "a@b.test"})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed"
    assert "password" in str(response.json())


def test_forged_token_is_refused(client, accounts) -> None:
    user = accounts.make("admin")
    claims = jwt.decode(user["access_token"], options={"verify_signature": False})
    forged = jwt.encode(claims, "x" * 48, algorithm="HS256")
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_token_with_algorithm_none_is_refused(client, accounts) -> None:
    user = accounts.make("admin")
    claims = jwt.decode(user["access_token"], options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {unsigned}"}).status_code
        == 401
    )


def test_expired_token_is_refused_with_a_hint(client, accounts) -> None:
    from settings import get_settings

    user = accounts.make("creator")
    claims = jwt.decode(user["access_token"], options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 10
    expired = jwt.encode(claims, get_settings().jwt_secret, algorithm="HS256")
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(client, accounts) -> None:
    user = accounts.make("listener")
    first = client.post("/api/v1/auth/refresh", json={"refresh_token": user["refresh_token"]})
    assert first.status_code == 200
    newer = first.json()["refresh_token"]
    assert newer != user["refresh_token"]
    reused = client.post("/api/v1/auth/refresh", json={"refresh_token": user["refresh_token"]})
    assert reused.status_code == 401
    # The thief's reuse signs out the legitimate holder of the newer token too.
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": newer}).status_code == 401


def test_access_token_cannot_be_used_as_refresh_token(client, accounts) -> None:
    user = accounts.make("listener")
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": user["access_token"]})
    assert response.status_code == 401


def test_only_creators_and_admins_create_content(client, accounts) -> None:
    listener, creator, admin = (
        accounts.make("listener"),
        accounts.make("creator"),
        accounts.make("admin"),
    )
    body = {"title": "Sunday sermon"}
    assert client.post("/api/v1/content", json=body).status_code == 401
    refused = client.post("/api/v1/content", json=body, headers=accounts.auth(listener))
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert (
        client.post("/api/v1/content", json=body, headers=accounts.auth(creator)).status_code == 201
    )
    assert (
        client.post("/api/v1/content", json=body, headers=accounts.auth(admin)).status_code == 201
    )


def test_only_the_owner_or_an_admin_sends_a_source(client, accounts) -> None:
    owner, other, admin = accounts.make("creator"), accounts.make("creator"), accounts.make("admin")
    content = client.post(
        "/api/v1/content", json={"title": "Mine"}, headers=accounts.auth(owner)
    ).json()
    # Another creator cannot even see a private draft: 404, so ids leak nothing.
    response = client.put(
        f"/api/v1/content/{content['id']}/source", content=b"x", headers=accounts.auth(other)
    )
    assert response.status_code == 404
    seen = client.get(f"/api/v1/content/{content['id']}", headers=accounts.auth(admin))
    assert seen.status_code == 200


def test_errors_are_json_with_a_code_and_a_detail(client) -> None:
    response = client.get("/api/v1/content/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "no such content"}


def test_healthz_and_readyz_answer(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_openapi_schema_lists_the_contract(client) -> None:
    schema = client.get("/schema/openapi.json").json()
    for path in ("/api/v1/auth/login", "/api/v1/content", "/api/v1/content/{content_id}/source"):
        assert path in schema["paths"]
