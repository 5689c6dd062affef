"""The creator switches a sermon's comments on and off from the studio page."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Site, axe, sign_in


def test_a_creator_turns_comments_on_and_off_from_the_studio(site: Site, page: Any) -> None:
    made = site.api("creator", "POST", "/content", json={"title": "Comments sermon"})
    assert made.status_code == 201, made.text
    content_id = made.json()["id"]
    sign_in(page, site.base, site.user("creator"), then=f"/studio/{content_id}")
    switch = page.get_by_label("Members may comment on it")
    assert not switch.is_checked()
    axe(page)

    switch.check()
    page.wait_for_function(
        "() => document.querySelector('.comments-status').textContent === 'Comments are on'"
    )
    owner_view = site.api("creator", "GET", f"/content/{content_id}/comments").json()
    assert owner_view["enabled"] is True
    page.reload()
    assert page.get_by_label("Members may comment on it").is_checked()

    page.get_by_label("Members may comment on it").uncheck()
    page.wait_for_function(
        "() => document.querySelector('.comments-status').textContent === 'Comments are off'"
    )
    assert site.api("creator", "GET", f"/content/{content_id}/comments").json()["enabled"] is False
