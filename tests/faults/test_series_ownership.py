"""A creator files content and live services only under their own series: another creator's
podcast feed takes no episode from them (the series' existence alone is not permission)."""

from __future__ import annotations

from typing import Any

from tests.conftest import Accounts

V1 = "/api/v1"
STARTS = "2030-01-06T10:00:00Z"


def _series_of(client: Any, owner: dict[str, str], title: str = "Sunday Mornings") -> str:
    made = client.post(f"{V1}/series", json={"title": title}, headers=Accounts.auth(owner))
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _refused(response: Any) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["code"] == "forbidden" and "series" in body["detail"]


def test_a_creator_cannot_file_content_under_another_creators_series(client, accounts) -> None:  # type: ignore[no-untyped-def]
    victim, attacker = accounts.make("creator"), accounts.make("creator")
    series_id = _series_of(client, victim)
    made = client.post(
        f"{V1}/content",
        json={"title": "Injected episode", "series_id": series_id},
        headers=accounts.auth(attacker),
    )
    _refused(made)
    own = client.post(f"{V1}/content", json={"title": "Mine"}, headers=accounts.auth(attacker))
    moved = client.patch(
        f"{V1}/content/{own.json()['id']}",
        json={"series_id": series_id},
        headers=accounts.auth(attacker),
    )
    _refused(moved)
    assert (
        client.get(f"{V1}/content/{own.json()['id']}", headers=accounts.auth(attacker)).json()[
            "series_id"
        ]
        is None
    )


def test_a_creator_cannot_schedule_a_live_service_under_another_creators_series(
    client, accounts
) -> None:  # type: ignore[no-untyped-def]
    victim, attacker = accounts.make("creator"), accounts.make("creator")
    series_id = _series_of(client, victim)
    made = client.post(
        f"{V1}/live/sessions",
        json={"title": "Injected service", "series_id": series_id, "starts_at": STARTS},
        headers=accounts.auth(attacker),
    )
    _refused(made)


def test_the_owner_files_under_their_series_and_an_admin_keeps_the_owners_rule(
    client, accounts
) -> None:  # type: ignore[no-untyped-def]
    owner, other, admin = accounts.make("creator"), accounts.make("creator"), accounts.make("admin")
    series_id = _series_of(client, owner)
    made = client.post(
        f"{V1}/content",
        json={"title": "Week 1", "series_id": series_id},
        headers=accounts.auth(owner),
    )
    assert made.status_code == 201 and made.json()["series_id"] == series_id
    # An admin edits the owner's content within the owner's series, not another creator's.
    others = _series_of(client, other, "Other feed")
    moved = client.patch(
        f"{V1}/content/{made.json()['id']}",
        json={"series_id": others},
        headers=accounts.auth(admin),
    )
    _refused(moved)
    kept = client.patch(
        f"{V1}/content/{made.json()['id']}",
        json={"series_id": series_id, "title": "Week one"},
        headers=accounts.auth(admin),
    )
    assert kept.status_code == 200, kept.text
    live = client.post(
        f"{V1}/live/sessions",
        json={"title": "Sunday", "series_id": series_id, "starts_at": STARTS},
        headers=accounts.auth(owner),
    )
    assert live.status_code == 201, live.text
