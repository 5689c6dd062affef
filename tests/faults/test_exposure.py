"""What the public API port tells strangers: metrics only with their token in production, and no
internal host or port in a dependency's error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from api.app import create_app
from settings import get_settings
from tests.conftest import Accounts, free_port
from tests.live.conftest import environment

STARTS = "2030-01-06T10:00:00Z"


def _production(**changes: Any) -> Iterator[TestClient[Any]]:
    settings = msgspec.structs.replace(get_settings(), env="production", **changes)
    with TestClient(create_app(settings), base_url="http://testserver.local") as client:
        yield client


@pytest.fixture()
def production(clean_db: None) -> Iterator[TestClient[Any]]:
    yield from _production()


def test_metrics_are_closed_in_production_without_a_token(production: TestClient[Any]) -> None:
    answer = production.get("/metrics")
    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "forbidden" and "METRICS_TOKEN" in answer.json()["detail"]


def test_metrics_answer_their_token_in_production(clean_db: None) -> None:
    for client in _production(metrics_token="a-long-scrape-token"):
        assert client.get("/metrics").status_code == 401
        scraped = client.get("/metrics", headers={"Authorization": "Bearer a-long-scrape-token"})
        assert scraped.status_code == 200 and "cnt_api" in scraped.text


def test_an_unreachable_livekit_is_a_503_that_names_no_internal_address(
    clean_db: None,
) -> None:
    port = free_port()  # nothing listens there
    values = {
        "LIVEKIT_URL": f"ws://127.0.0.1:{port}",
        "LIVEKIT_API_KEY": "APIcntTest",
        "LIVEKIT_API_SECRET": "a-secret-that-is-long-enough-for-livekit",
    }
    with environment(values), TestClient(create_app(), base_url="http://testserver.local") as c:
        host = Accounts(c).auth(Accounts(c).make("creator"))
        made = c.post(
            "/api/v1/live/sessions", json={"title": "Sunday", "starts_at": STARTS}, headers=host
        )
        assert made.status_code == 201, made.text
        answer = c.post(f"/api/v1/live/sessions/{made.json()['id']}/token", headers=host)
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "livekit_unavailable"
    assert str(port) not in answer.text and "127.0.0.1" not in answer.text
