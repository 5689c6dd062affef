"""The admin page changes accounts through the same rules as the API: the last admin cannot be
demoted from the page either, and a disabled account is refused at its next request."""

from __future__ import annotations

from sqlalchemy import select

from models import User
from tests.conftest import Accounts
from tests.web.test_pages_http import CSRF, sign_in
from workers.db import session_scope


def _post_form(client, path: str, fields: dict[str, str]):  # type: ignore[no-untyped-def]
    page = client.get("/admin", params={"email": fields.get("email", "")})
    token = CSRF.search(page.text)
    assert token, page.text
    return client.post(path, data={**fields, "_csrf_token": token[1]}, follow_redirects=False)


def _disable(client, member: dict[str, str], value: str):  # type: ignore[no-untyped-def]
    fields = {"disabled": value, "email": member["email"]}
    return _post_form(client, f"/admin/users/{member['id']}/disabled", fields)


def _only_admin_left(keep: str) -> None:
    """Every other admin of the test database becomes a listener (earlier tests made some)."""
    with session_scope() as session:
        for row in session.scalars(select(User).where(User.role == "admin", User.id != keep)):
            row.role = "listener"


def test_the_page_cannot_demote_the_last_admin(clean_db: None, client, accounts: Accounts) -> None:
    admin = accounts.make("admin")
    _only_admin_left(admin["id"])
    sign_in(client, admin)
    answer = _post_form(
        client, f"/admin/users/{admin['id']}/role", {"role": "listener", "email": admin["email"]}
    )
    assert answer.status_code == 409, answer.text
    assert "last admin" in answer.text
    with session_scope() as session:
        assert session.get(User, admin["id"]).role == "admin"  # type: ignore[union-attr]


def test_an_account_disabled_from_the_page_is_refused_at_its_next_request(
    client, accounts: Accounts
) -> None:
    admin, member = accounts.make("admin"), accounts.make("listener")
    member_headers = accounts.auth(member)
    assert client.get("/api/v1/auth/me", headers=member_headers).status_code == 200

    sign_in(client, admin)
    answer = _post_form(
        client,
        f"/admin/users/{member['id']}/disabled",
        {"disabled": "true", "email": member["email"]},
    )
    assert answer.status_code in (302, 303), answer.text
    client.cookies.clear()
    refused = client.get("/api/v1/auth/me", headers=member_headers)
    assert refused.status_code == 401 or refused.status_code == 403, refused.text

    sign_in(client, admin)
    _post_form(
        client,
        f"/admin/users/{member['id']}/disabled",
        {"disabled": "false", "email": member["email"]},
    )
    client.cookies.clear()
    assert client.get("/api/v1/auth/me", headers=member_headers).status_code == 200
