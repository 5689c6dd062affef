"""A page's live events outlive its token: a page carries an access token for 15 minutes
(ACCESS_TOKEN_TTL_S) and stays open for hours, so its event stream reconnects with a token the
API refuses. The stream (api.js events()) then asks /page-token for a fresh one with the session
cookie and reconnects at once; signed out meanwhile, it stops instead of asking every second;
and answers other than the stream wait longer each time before the next try.

The pages here start with an expired token in their meta tag (the served HTML is rewritten on
its way to Chromium), signed by the app's own code with the test settings' secret, while the
session cookie stays as the sign-in left it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import msgspec

from api.auth.tokens import AuthUser, create_access_token
from settings import get_settings
from tests.web.conftest import Site, sign_in

ARRIVES_S = 10.0
EVENTS = "/api/v1/community/events"
META = '<meta name="cnt-token" content="'


def _expired_token(site: Site, role: str) -> str:
    """The account's access token as the app signs it, expired five minutes ago."""
    me = site.api(role, "GET", "/auth/me").json()
    user = AuthUser(id=me["id"], email=me["email"], role=me["role"], name=me.get("name") or "")
    settings = msgspec.structs.replace(get_settings(), access_token_ttl_s=-300)
    return create_access_token(settings, user)


def _serve_with_token(page: Any, url: str, token: str, signed_out: bool = False) -> None:
    """`url`'s HTML as the server renders it for the session, its meta token replaced. With
    `signed_out`, the session is gone once the server has answered, as if the person signed
    out in another tab (the session lives in the cookie, which the answer also sets again)."""

    def rewrite(route: Any) -> None:
        answer = route.fetch()
        html = answer.text()
        start = html.index(META) + len(META)
        html = html[:start] + token + html[html.index('"', start) :]
        headers = answer.headers
        if signed_out:
            page.context.clear_cookies()
            headers = {k: v for k, v in headers.items() if k.lower() != "set-cookie"}
        route.fulfill(status=answer.status, headers=headers, body=html)

    page.route(url, rewrite)


def _answers(page: Any, path: str) -> list[tuple[float, int]]:
    """(when, status) of every answer to `path` the page gets, as they come."""
    seen: list[tuple[float, int]] = []
    page.on(
        "response",
        lambda r: (
            seen.append((time.monotonic(), r.status)) if urlsplit(r.url).path == path else None
        ),
    )
    return seen


def _wait(page: Any, check: Callable[[], bool], within: float) -> bool:
    """Polls `check` while Playwright runs (its events reach the test only while it waits in a
    Playwright call, never in time.sleep)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        page.wait_for_timeout(100)
    return check()


def test_an_open_feed_with_an_expired_token_renews_it_and_shows_a_new_post_live(
    site: Site, new_page: Callable[[], Any]
) -> None:
    member = site.user("listener")
    expired = _expired_token(site, "listener")
    page = new_page()
    sign_in(page, site.base, member, then="/")
    _serve_with_token(page, f"{site.base}/community", expired)
    stream = _answers(page, EVENTS)
    renewals = _answers(page, "/page-token")
    sent: list[str] = []
    page.on(
        "request",
        lambda r: (
            sent.append(r.headers.get("authorization", ""))
            if urlsplit(r.url).path == EVENTS
            else None
        ),
    )
    page.goto(f"{site.base}/community")
    meta = page.locator('meta[name="cnt-token"]')

    # Refused once for the token's age, the stream comes back at once with a fresh one, and
    # what another member posts then shows on the open page.
    _wait(page, lambda: any(status == 200 for _, status in stream), ARRIVES_S)
    posted = site.api("creator", "POST", "/posts", json={"text": "Choir practice moved to 7pm"})
    assert posted.status_code == 201, posted.text
    page.locator("article.post", has_text="Choir practice moved to 7pm").wait_for(
        timeout=ARRIVES_S * 1000
    )
    statuses = [status for _, status in stream]
    assert statuses == [401, 200], statuses
    assert [status for _, status in renewals] == [200]
    assert stream[1][0] - stream[0][0] < 0.9, "it waited before reconnecting with the fresh token"
    # It started with the dead token (the page may renew it before `goto` returns).
    assert sent[:1] == [f"Bearer {expired}"], sent
    assert meta.get_attribute("content") not in ("", expired)


def test_a_page_signed_out_meanwhile_stops_asking_for_its_stream(
    site: Site, new_page: Callable[[], Any]
) -> None:
    member = site.user("moderator")
    page = new_page()
    sign_in(page, site.base, member, then="/")
    # The server renders the signed-in page, then the session is gone before the page runs.
    expired = _expired_token(site, "moderator")
    _serve_with_token(page, f"{site.base}/community", expired, signed_out=True)
    stream = _answers(page, EVENTS)
    renewals = _answers(page, "/page-token")
    page.goto(f"{site.base}/community")

    _wait(page, lambda: bool(renewals), ARRIVES_S)
    assert "cnt_session" not in {cookie["name"] for cookie in page.context.cookies()}
    page.wait_for_timeout(4000)  # the old stream asked again every second, for ever
    assert [status for _, status in stream] == [401], "asked again with a token it cannot renew"
    assert [status for _, status in renewals] == [302], renewals  # to the sign-in page


def test_refusals_other_than_401_wait_longer_each_time_then_the_stream_comes_back(
    site: Site, new_page: Callable[[], Any]
) -> None:
    """The API refusing the stream (a 503 while it restarts, here answered for it) is asked
    again later each time, not every second; once it serves the stream again, events flow."""
    member = site.user("admin")
    page = new_page()
    sign_in(page, site.base, member, then="/")
    tries: list[float] = []

    def unavailable(route: Any) -> None:
        tries.append(time.monotonic())
        route.fulfill(
            status=503,
            content_type="application/json",
            body='{"code": "unavailable", "detail": "restarting"}',
        )

    page.route(f"{site.base}{EVENTS}", unavailable)
    stream = _answers(page, EVENTS)
    page.goto(f"{site.base}/community")
    assert _wait(page, lambda: len(tries) >= 3, ARRIVES_S), tries
    page.unroute(f"{site.base}{EVENTS}", unavailable)

    # Waits of 0.5-1 s, 1-2 s, then 2-4 s (doubling, jittered by up to half, capped at 30 s).
    assert _wait(page, lambda: any(status == 200 for _, status in stream), ARRIVES_S), stream
    came_back = next(when for when, status in stream if status == 200)
    gaps = [b - a for a, b in zip([*tries, came_back], [*tries, came_back][1:], strict=False)]
    assert 0.4 <= gaps[0] <= 1.2, gaps
    assert gaps[1] >= 0.9, gaps
    assert gaps[2] >= 1.9, gaps
    posted = site.api("creator", "POST", "/posts", json={"text": "Soup kitchen needs volunteers"})
    assert posted.status_code == 201, posted.text
    page.locator("article.post", has_text="Soup kitchen needs volunteers").wait_for(
        timeout=ARRIVES_S * 1000
    )
