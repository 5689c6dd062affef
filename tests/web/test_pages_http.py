"""The pages over HTTP, without a browser: what each answers, to whom, with which headers."""

from __future__ import annotations

import re

from tests.conftest import Accounts
from tests.sermons import make_sermon

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def sign_in(client, user: dict[str, str]):  # type: ignore[no-untyped-def]
    form = client.get("/login")
    token = CSRF.search(form.text)
    assert token, form.text
    return client.post(
        "/login",
        data={"email": user["email"], "password": user["password"], "_csrf_token": token[1]},
        follow_redirects=False,
    )


def test_home_library_and_player_are_pages_with_their_headers(client, accounts: Accounts) -> None:
    owner = accounts.make("creator")
    sermon = make_sermon(owner["id"], title="The Lost Sheep", speaker="Pastor Ann")
    home = client.get("/")
    assert home.status_code == 200
    assert home.headers["content-type"].startswith("text/html")
    assert home.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in home.headers["content-security-policy"]
    assert "The Lost Sheep" in home.text
    found = client.get("/library", params={"q": "lost sheep"})
    assert f'href="/library/{sermon}"' in found.text
    player = client.get(f"/library/{sermon}")
    assert player.status_code == 200
    assert '<meta property="og:title" content="The Lost Sheep">' in player.text
    assert '<meta name="author" content="Pastor Ann">' in player.text


def test_static_files_are_versioned_gzipped_and_cookieless(client) -> None:
    home = client.get("/")
    css = re.search(r'href="(/static/[0-9a-f]{12}/css/site\.css)"', home.text)
    assert css, home.text
    answer = client.get(css[1], headers={"accept-encoding": "gzip"})
    assert answer.status_code == 200
    assert answer.headers["content-encoding"] == "gzip"
    assert "immutable" in answer.headers["cache-control"]
    assert "set-cookie" not in answer.headers
    assert "--brand" in answer.text


def test_embed_may_be_framed_and_nothing_else(client, accounts: Accounts) -> None:
    sermon = make_sermon(accounts.make("creator")["id"])
    embed = client.get(f"/embed/{sermon}")
    assert embed.status_code == 200
    assert "x-frame-options" not in embed.headers
    assert "frame-ancestors *" in embed.headers["content-security-policy"]


def test_sign_in_needs_the_csrf_token_and_the_right_password(client, accounts: Accounts) -> None:
    user = accounts.make("listener")
    client.get("/login")
    refused = client.post(
        "/login", data={"email": user["email"], "password": user["password"]},
        follow_redirects=False,
    )  # fmt: skip
    assert refused.status_code == 403
    wrong = sign_in(client, {**user, "password": "not-the-password"})
    assert wrong.status_code == 401
    assert "wrong email or password" in wrong.text
    signed = sign_in(client, user)
    assert signed.status_code == 303
    assert user["email"] in client.get("/").text


def test_a_private_sermon_is_a_404_to_all_but_its_owner_and_admins(
    client, accounts: Accounts
) -> None:
    owner = accounts.make("creator")
    sermon = make_sermon(owner["id"], title="Draft thoughts", visibility="private")
    assert client.get(f"/library/{sermon}").status_code == 404
    sign_in(client, accounts.make("listener"))
    assert client.get(f"/library/{sermon}").status_code == 404
    client.cookies.clear()
    sign_in(client, owner)
    assert "Draft thoughts" in client.get(f"/library/{sermon}").text
    client.cookies.clear()
    sign_in(client, accounts.make("admin"))
    assert client.get(f"/library/{sermon}").status_code == 200


def test_a_listener_is_refused_the_studio_and_the_admin_pages(client, accounts: Accounts) -> None:
    anonymous = client.get("/studio", follow_redirects=False)
    assert anonymous.status_code in (302, 303, 307)
    assert anonymous.headers["location"].startswith("/login")
    sign_in(client, accounts.make("listener"))
    assert client.get("/studio").status_code == 403
    assert client.get("/admin").status_code == 403


def test_every_page_route_states_who_may_open_it_and_keeps_to_it(
    app, client, accounts: Accounts
) -> None:
    from litestar.routes import HTTPRoute

    from tests.web.matrix_rules import ADMIN, CREATOR, FORM, MEMBER, MODERATOR, PUBLIC, RULES

    pages = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, HTTPRoute) and not route.path.startswith(("/api/", "/schema"))
        for method in route.route_handler_map
        if method not in ("OPTIONS", "HEAD")
    } - {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/cdn/{key:path}")}
    assert pages == set(RULES), pages ^ set(RULES)

    owner = accounts.make("creator")
    sermon = make_sermon(owner["id"])
    callers = {"anonymous": None, "listener": accounts.make("listener"), "creator": owner}
    callers["admin"] = accounts.make("admin")
    values = {"content_id": sermon, "series_id": "none", "session_id": "none", "job_id": "none"}
    values |= {"user_id": "none", "tag": "x", "name": "css/site.css", "post_id": "none"}
    values |= {"playlist_id": "none", "story_id": "none"}
    for (method, template), rule in sorted(RULES.items()):
        path = template
        for name, value in values.items():
            path = path.replace(f"{{{name}:str}}", value).replace(f"{{{name}:path}}", value)
        for who, user in callers.items():
            client.cookies.clear()
            if user is not None:
                sign_in(client, user)
            status = client.request(method, path, follow_redirects=False).status_code
            allowed = {
                PUBLIC: True,
                CREATOR: who in ("creator", "admin"),
                ADMIN: who == "admin",
                MEMBER: who != "anonymous",
                MODERATOR: who == "admin",  # the callers here hold no moderator
                FORM: False,
            }[rule]
            if allowed:
                assert status < 400 or status == 404, (method, template, who, status)
            elif rule == FORM:
                assert status == 403, (method, template, who, status)
            else:
                expected = (303, 302, 307) if who == "anonymous" else (403,)
                assert status in expected, (method, template, who, status)


def test_the_sign_in_page_lets_a_congregation_in_from_one_address_but_locks_a_guessed_account(
    clean_db: None,
) -> None:
    import secrets

    import msgspec
    from litestar.testing import TestClient

    from api.app import create_app
    from cli.users import _save_user
    from settings import get_settings

    settings = msgspec.structs.replace(
        get_settings(),
        auth_rate_limit_per_minute=3,
        broker_namespace=f"{get_settings().broker_namespace}-rl-{secrets.token_hex(3)}",
    )
    members = [f"member{i}@church.test" for i in range(8)]
    for email in members:
        _save_user(email, "a-good-long-password", "listener")
    with TestClient(create_app(settings), base_url="http://testserver.local") as client:
        signed = []
        for email in members:  # one address, eight members after the service
            client.cookies.clear()
            answer = sign_in(client, {"email": email, "password": "a-good-long-password"})
            signed.append(answer.status_code)
        assert signed == [303] * len(members)
        guesses = [
            sign_in(client, {"email": members[0], "password": "guess"}).status_code
            for _ in range(3)
        ]
        assert guesses == [401] * 3
        locked = sign_in(client, {"email": members[0], "password": "a-good-long-password"})
        assert locked.status_code == 429 and "this account" in locked.text
        client.cookies.clear()
        other = sign_in(client, {"email": members[1], "password": "a-good-long-password"})
        assert other.status_code == 303
