"""Bad input answers a 4xx in the one error shape with a message a person can act on, never a
500: each case was found by a probe."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Accounts

V1 = "/api/v1"
JSON = {"content-type": "application/json"}


def _refused(response: Any, status: int = 400) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] and body["detail"], body
    return body


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"email": "a\xff\xfe@church.test", "password": "x"}', "UTF-8"),
        (b"", "needs a JSON body"),
    ],
)
def test_a_body_that_cannot_be_read_is_a_400_that_says_why(client, body: bytes, says: str) -> None:  # type: ignore[no-untyped-def]
    answer = _refused(client.post(f"{V1}/auth/login", content=body, headers=JSON))
    assert says in answer["detail"]


def test_numbers_and_text_the_database_cannot_take_are_422s(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    admin = accounts.auth(accounts.make("admin"))
    huge = _refused(client.get(f"{V1}/admin/jobs?offset=99999999999999999999", headers=admin), 422)
    assert "too large" in huge["detail"]
    nul = client.post(f"{V1}/admin/jobs/retry", json={"step": "wave\u0000form"}, headers=admin)
    assert "NUL" in _refused(nul, 422)["detail"]


def test_scripture_and_tags_are_bounded_and_checked(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    creator = accounts.auth(accounts.make("creator"))
    zero = client.post(
        f"{V1}/content", json={"title": "x", "scripture": ["John 0:0"]}, headers=creator
    )
    assert "count from 1" in _refused(zero, 422)["detail"]
    for field, many in (("tags", ["grace"] * 20_000), ("scripture", ["John 3:16"] * 10_000)):
        _refused(client.post(f"{V1}/content", json={"title": "x", field: many}, headers=creator))
    fine = {"title": "x", "scripture": ["John 3:16"], "tags": ["grace"]}
    assert client.post(f"{V1}/content", json=fine, headers=creator).status_code == 201
