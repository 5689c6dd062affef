"""Signing in and signing up are rate-limited per client address, across API processes (Redis)."""

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
        # Register shares the budget; reading the catalog is not counted.
        assert (
            client.post(
                "/api/v1/auth/register", json={"email": "a@church.test", "password": "x" * 12}
            ).status_code
            == 429
        )
        assert client.get("/api/v1/catalog").status_code == 200


def test_the_limit_holds_across_api_processes(clean_db: None) -> None:
    from settings import get_settings

    shared = f"{get_settings().broker_namespace}-rl-{secrets.token_hex(3)}"
    first, second = _limited_app(2, shared), _limited_app(2, shared)  # two API processes
    wrong = {"email": "nobody@church.test", "password": "not-the-password"}
    with TestClient(first) as one, TestClient(second) as two:
        assert one.post("/api/v1/auth/login", json=wrong).status_code == 401
        assert two.post("/api/v1/auth/login", json=wrong).status_code == 401
        assert one.post("/api/v1/auth/login", json=wrong).status_code == 429
