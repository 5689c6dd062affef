"""Failed sign-ins are limited per account and per address, successful ones not at all; signing
up is limited per address; both across API processes (Redis)."""

from __future__ import annotations

import secrets

import msgspec
from litestar.testing import TestClient


def _limited_app(limit: int, namespace: str = ""):  # type: ignore[no-untyped-def]
    from api.app import create_app
    from settings import get_settings

    settings = get_settings()
    # Its own key namespace (still under the run's prefix, so cleaned up): counts start at zero.
    namespace = namespace or f"{settings.broker_namespace}-rl-{secrets.token_hex(3)}"
    return create_app(
        msgspec.structs.replace(
            settings, auth_rate_limit_per_minute=limit, broker_namespace=namespace
        )
    )


def test_login_attempts_beyond_the_limit_get_429(clean_db: None) -> None:
    with TestClient(_limited_app(3), base_url="http://testserver.local") as client:
        wrong = {"email": "nobody@church.test", "password": "not-the-password"}
        statuses = [client.post("/api/v1/auth/login", json=wrong).status_code for _ in range(3)]
        blocked = client.post("/api/v1/auth/login", json=wrong)

        assert statuses == [401, 401, 401]
        assert blocked.status_code == 429
        assert blocked.json()["code"] == "rate_limited"
        # Register has a budget of its own per address; reading the catalog is not counted.
        registered = [
            client.post(
                "/api/v1/auth/register",
                json={"email": f"new{i}@church.test", "password": "x" * 12},
            ).status_code
            for i in range(4)
        ]
        assert registered == [201, 201, 201, 429]
        assert client.get("/api/v1/catalog").status_code == 200


def test_a_congregation_signs_in_from_one_address_but_a_guessed_account_is_locked(
    clean_db: None,
) -> None:
    from cli.users import _save_user

    with TestClient(_limited_app(3), base_url="http://testserver.local") as client:
        for i in range(10):
            _save_user(f"member{i}@church.test", "a-good-long-password", "listener")
        signed = [
            client.post(
                "/api/v1/auth/login",
                json={"email": f"member{i}@church.test", "password": "a-good-long-password"},
            ).status_code
            for i in range(10)
        ]
        assert signed == [200] * 10  # one address, ten sign-ins in a minute
        wrong = {"email": "member0@church.test", "password": "guess"}
        assert [client.post("/api/v1/auth/login", json=wrong).status_code for _ in range(3)] == [
            401
        ] * 3
        right = {"email": "member0@church.test", "password": "a-good-long-password"}
        locked = client.post("/api/v1/auth/login", json=right)
        assert locked.status_code == 429 and "this account" in locked.json()["detail"]
        # Another member at the same address is not locked out by it.
        other = {"email": "member1@church.test", "password": "a-good-long-password"}
        assert client.post("/api/v1/auth/login", json=other).status_code == 200


def test_the_limit_holds_across_api_processes(clean_db: None) -> None:
    from settings import get_settings

    shared = f"{get_settings().broker_namespace}-rl-{secrets.token_hex(3)}"
    first, second = _limited_app(2, shared), _limited_app(2, shared)  # two API processes
    wrong = {"email": "nobody@church.test", "password": "not-the-password"}
    with TestClient(first) as one, TestClient(second) as two:
        assert one.post("/api/v1/auth/login", json=wrong).status_code == 401
        assert two.post("/api/v1/auth/login", json=wrong).status_code == 401
        assert one.post("/api/v1/auth/login", json=wrong).status_code == 429
