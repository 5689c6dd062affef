"""Who may call what: every HTTP route of the app, each of five callers (anonymous, a listener,
another creator, the owner, an admin), against a fresh private subject each time.

The table below is built against `app.routes`: a route added later fails this test until it is
classified here, so no route ships without a stated rule.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from litestar.routes import HTTPRoute, WebSocketRoute
from PIL import Image

import workers.actors  # noqa: F401  (admin retries send step messages; see the report on #7)
from models import AddedTrack, Content, Job, LiveSession, Series, Upload
from tests.platform.matrix_rules import ROUTES as PLATFORM_ROUTES  # tested in tests/platform
from tests.platform.matrix_rules import WEBSOCKETS as PLATFORM_WEBSOCKETS
from tests.web.matrix_rules import ROUTES as PAGE_ROUTES  # tested in tests/web
from workers.db import session_scope

PUBLIC, SIGNED_IN, CREATOR, ADMIN, OWNER, SIGNATURE = (
    "public",
    "signed_in",
    "creator",
    "admin",
    "owner",
    "signature",
)
ACTORS = ("anonymous", "listener", "other_creator", "owner", "admin")

# Which actors a rule lets through. OWNER routes act on a private subject of "owner": others get
# 404 (its existence is not revealed) or 401/403.
ALLOWED = {
    PUBLIC: set(ACTORS),
    SIGNED_IN: {"listener", "other_creator", "owner", "admin"},
    CREATOR: {"other_creator", "owner", "admin"},
    ADMIN: {"admin"},
    OWNER: {"owner", "admin"},
    SIGNATURE: set(),  # LiveKit webhooks: a signature, never a bearer token, decides
}

V1 = "/api/v1"
RULES: dict[tuple[str, str], str] = {
    ("POST", f"{V1}/auth/register"): PUBLIC,
    ("POST", f"{V1}/auth/login"): PUBLIC,
    ("POST", f"{V1}/auth/refresh"): PUBLIC,
    ("GET", f"{V1}/auth/me"): SIGNED_IN,
    ("PATCH", f"{V1}/users/{{user_id:str}}/role"): ADMIN,
    ("PATCH", f"{V1}/users/{{user_id:str}}"): ADMIN,
    ("GET", f"{V1}/users"): ADMIN,
    ("GET", f"{V1}/content"): SIGNED_IN,
    ("POST", f"{V1}/content"): CREATOR,
    ("GET", f"{V1}/content/{{content_id:str}}"): OWNER,
    ("PATCH", f"{V1}/content/{{content_id:str}}"): OWNER,
    ("DELETE", f"{V1}/content/{{content_id:str}}"): OWNER,
    ("GET", f"{V1}/content/{{content_id:str}}/playback"): OWNER,
    ("POST", f"{V1}/content/{{content_id:str}}/publish"): OWNER,
    ("POST", f"{V1}/content/{{content_id:str}}/unpublish"): OWNER,
    ("PUT", f"{V1}/content/{{content_id:str}}/source"): OWNER,
    ("POST", f"{V1}/content/{{content_id:str}}/reprocess"): OWNER,
    ("GET", f"{V1}/content/{{content_id:str}}/events"): OWNER,
    ("POST", f"{V1}/content/{{content_id:str}}/uploads"): OWNER,
    ("GET", f"{V1}/content/{{content_id:str}}/uploads/{{upload_id:str}}"): OWNER,
    ("DELETE", f"{V1}/content/{{content_id:str}}/uploads/{{upload_id:str}}"): OWNER,
    ("POST", f"{V1}/content/{{content_id:str}}/uploads/{{upload_id:str}}/parts"): OWNER,
    ("POST", f"{V1}/content/{{content_id:str}}/uploads/{{upload_id:str}}/complete"): OWNER,
    ("POST", f"{V1}/content/{{content_id:str}}/trim"): OWNER,
    ("DELETE", f"{V1}/content/{{content_id:str}}/trim"): OWNER,
    ("GET", f"{V1}/content/{{content_id:str}}/trim/suggestion"): OWNER,
    ("GET", f"{V1}/content/{{content_id:str}}/audio-tracks"): OWNER,
    ("PUT", f"{V1}/content/{{content_id:str}}/audio-tracks/{{language:str}}"): OWNER,
    ("DELETE", f"{V1}/content/{{content_id:str}}/audio-tracks/{{language:str}}"): OWNER,
    ("PUT", f"{V1}/content/{{content_id:str}}/trim/auto"): OWNER,
    ("POST", f"{V1}/content/{{content_id:str}}/clips"): OWNER,
    ("GET", f"{V1}/content/{{content_id:str}}/clips"): OWNER,
    ("GET", f"{V1}/catalog"): PUBLIC,
    ("POST", f"{V1}/series"): CREATOR,
    ("GET", f"{V1}/series"): PUBLIC,
    ("GET", f"{V1}/series/{{series_id:str}}"): PUBLIC,
    ("PATCH", f"{V1}/series/{{series_id:str}}"): OWNER,
    ("GET", f"{V1}/series/{{series_id:str}}/feed.xml"): PUBLIC,
    ("PUT", f"{V1}/series/{{series_id:str}}/artwork"): OWNER,
    ("GET", f"{V1}/feed.xml"): PUBLIC,
    ("GET", f"{V1}/admin/jobs"): ADMIN,
    ("GET", f"{V1}/admin/jobs/{{job_id:str}}"): ADMIN,
    ("POST", f"{V1}/admin/jobs/{{job_id:str}}/retry"): ADMIN,
    ("POST", f"{V1}/admin/jobs/{{job_id:str}}/cancel"): ADMIN,
    ("POST", f"{V1}/admin/jobs/retry"): ADMIN,
    ("GET", f"{V1}/admin/queues"): ADMIN,
    ("POST", f"{V1}/live/sessions"): CREATOR,
    ("GET", f"{V1}/live/sessions"): PUBLIC,
    ("GET", f"{V1}/live/sessions/{{session_id:str}}"): OWNER,
    ("GET", f"{V1}/live/sessions/{{session_id:str}}/events"): OWNER,
    ("POST", f"{V1}/live/sessions/{{session_id:str}}/token"): OWNER,
    ("GET", f"{V1}/live/sessions/{{session_id:str}}/participants"): ADMIN,
    ("DELETE", f"{V1}/live/sessions/{{session_id:str}}/participants/{{identity:str}}"): ADMIN,
    ("POST", f"{V1}/live/sessions/{{session_id:str}}/recording/retry"): ADMIN,
    ("POST", f"{V1}/live/webhooks"): SIGNATURE,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/cdn/{key:path}"): PUBLIC,  # signed paths decide, see tests of api/cdn.py
}
SCHEMA_PREFIX = "/schema"  # the OpenAPI document and its viewers: public by design
WEBSOCKETS = {f"{V1}/live/sessions/{{session_id:str}}/ws"}  # tested in tests/live
STREAMS = {
    f"{V1}/content/{{content_id:str}}/events",
    f"{V1}/live/sessions/{{session_id:str}}/events",
}


def _app_routes(app) -> tuple[set[tuple[str, str]], set[str]]:  # type: ignore[no-untyped-def]
    http: set[tuple[str, str]] = set()
    sockets: set[str] = set()
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            http |= {
                (m, route.path) for m in route.route_handler_map if m not in ("OPTIONS", "HEAD")
            }
        elif isinstance(route, WebSocketRoute):
            sockets.add(route.path)
    return {r for r in http if not r[1].startswith(SCHEMA_PREFIX)}, sockets


def test_every_route_has_a_stated_rule(app) -> None:  # type: ignore[no-untyped-def]
    http, sockets = _app_routes(app)
    unclassified = sorted(http - set(RULES) - PLATFORM_ROUTES - PAGE_ROUTES) + sorted(
        sockets - WEBSOCKETS - PLATFORM_WEBSOCKETS
    )
    assert not unclassified, f"classify these routes in {__file__}: {unclassified}"
    gone = sorted(set(RULES) - http)
    assert not gone, f"these classified routes no longer exist: {gone}"


class Subjects:
    """Fresh private things owned by "owner", made per request so a DELETE harms no other row."""

    def __init__(self, users: dict[str, dict[str, str]]) -> None:
        self.users = users

    def make(self) -> dict[str, str]:
        owner = self.users["owner"]["id"]
        with session_scope() as session:
            series = Series(owner_id=owner, title="Private matters")
            content = Content(owner_id=owner, title="Draft", status="draft", visibility="private")
            session.add_all([series, content])
            session.flush()
            job = Job(
                content_id=content.id, step="probe", generation=0, queue="media", status="failed"
            )
            live = LiveSession(
                owner_id=owner,
                room_name=f"room-{secrets.token_hex(4)}",
                title="Vigil",
                visibility="private",
            )
            upload = Upload(
                content_id=content.id,
                s3_upload_id="none",
                key=f"sources/{content.id}/x",
                part_size=5 * 1024**2,
                expected_bytes=10,
            )
            # An interpreter's Spanish, for the routes that read or remove an added track.
            track = AddedTrack(
                content_id=content.id, language="es", name="Español",
                source_key=f"sources/{content.id}/tracks/es/x.m4a", source_bytes=1,
                source_sha256="0" * 64,
            )  # fmt: skip
            session.add_all([job, live, upload, track])
            session.flush()
            return {
                "content_id": content.id,
                "series_id": series.id,
                "job_id": job.id,
                "session_id": live.id,
                "user_id": self.users["listener"]["id"],
                "upload_id": upload.id,
                "identity": "someone",
                "language": "es",
                "key": "media/none/g1/master.m3u8",
            }


def _bodies(client, users) -> dict[tuple[str, str], Callable[[], dict[str, Any]]]:  # type: ignore[no-untyped-def]
    """Valid bodies where a handler checks ownership after parsing (a 400 would hide the rule)."""

    def login() -> dict[str, Any]:
        return {
            "json": {"email": users["listener"]["email"], "password": users["listener"]["password"]}
        }

    def refresh() -> dict[str, Any]:
        tokens = client.post(f"{V1}/auth/login", json=login()["json"]).json()
        return {"json": {"refresh_token": tokens["refresh_token"]}}

    picture = io.BytesIO()
    Image.new("RGB", (1400, 1400), (40, 90, 160)).save(picture, "PNG")
    artwork = picture.getvalue()

    return {
        ("POST", f"{V1}/auth/register"): lambda: {
            "json": {
                "email": f"new-{secrets.token_hex(4)}@church.test",
                "password": "a-good-long-password",
            }
        },
        ("POST", f"{V1}/auth/login"): login,
        ("POST", f"{V1}/auth/refresh"): refresh,
        ("PATCH", f"{V1}/users/{{user_id:str}}/role"): lambda: {"json": {"role": "listener"}},
        # Enabling leaves the account usable for the callers after it.
        ("PATCH", f"{V1}/users/{{user_id:str}}"): lambda: {"json": {"disabled": False}},
        ("POST", f"{V1}/content"): lambda: {"json": {"title": "A sermon"}},
        ("PATCH", f"{V1}/content/{{content_id:str}}"): lambda: {"json": {"title": "Renamed"}},
        ("PUT", f"{V1}/content/{{content_id:str}}/source"): lambda: {
            "content": b"not really audio"
        },
        ("POST", f"{V1}/content/{{content_id:str}}/uploads"): lambda: {"json": {"bytes": 10}},
        ("POST", f"{V1}/content/{{content_id:str}}/uploads/{{upload_id:str}}/parts"): lambda: {
            "json": {"part_numbers": [1]}
        },
        ("POST", f"{V1}/series"): lambda: {"json": {"title": "A series"}},
        ("POST", f"{V1}/content/{{content_id:str}}/trim"): lambda: {
            "json": {"start_s": 1.0, "end_s": 5.0}
        },
        ("PUT", f"{V1}/content/{{content_id:str}}/trim/auto"): lambda: {"json": {"mode": "wait"}},
        ("POST", f"{V1}/content/{{content_id:str}}/clips"): lambda: {
            "json": {"start_s": 1.0, "end_s": 5.0, "title": "A moment"}
        },
        ("PATCH", f"{V1}/series/{{series_id:str}}"): lambda: {"json": {"title": "Renamed"}},
        # A real, valid artwork: the owner's upload succeeds, so only the rule can refuse.
        ("PUT", f"{V1}/series/{{series_id:str}}/artwork"): lambda: {"content": artwork},
    }


def _first_status(client, method: str, path: str, headers: dict[str, str]) -> int:  # type: ignore[no-untyped-def]
    """The status of an endless stream (SSE), read from the ASGI response start; TestClient
    would wait for a body that never ends."""
    app = client.app
    raw_headers = [
        (k.lower().encode(), v.encode()) for k, v in {"host": "testserver.local", **headers}.items()
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw_headers,
        "client": ("127.0.0.1", 1234),
        "server": ("testserver.local", 80),
        "state": {},
    }
    status: list[int] = []

    async def call() -> None:
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await anyio.sleep_forever()
            return {"type": "http.disconnect"}

        async with anyio.create_task_group() as group:

            async def send(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    status.append(message["status"])
                    group.cancel_scope.cancel()

            async def run() -> None:
                await app(scope, receive, send)

            group.start_soon(run)
            with anyio.fail_after(20):
                while not status:
                    await anyio.sleep(0.01)
            group.cancel_scope.cancel()

    client.blocking_portal.call(call)
    return status[0]


@pytest.fixture()
def users(accounts) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    made = {
        "listener": accounts.make("listener"),
        "other_creator": accounts.make("creator"),
        "owner": accounts.make("creator"),
        "admin": accounts.make("admin"),
    }
    return made


def test_the_authorization_matrix(app, client, accounts, users) -> None:  # type: ignore[no-untyped-def]
    http, _ = _app_routes(app)
    subjects = Subjects(users)
    bodies = _bodies(client, users)
    failures: list[str] = []
    for method, template in sorted(http - PLATFORM_ROUTES - PAGE_ROUTES):
        rule = RULES[(method, template)]
        for actor in ACTORS:
            values = subjects.make()
            path = template
            for name, value in values.items():
                path = path.replace(f"{{{name}:str}}", value).replace(f"{{{name}:path}}", value)
            headers = {} if actor == "anonymous" else accounts.auth(users[actor])
            if template in STREAMS:
                status = _first_status(client, method, path, headers)
            else:
                extra = bodies.get((method, template), lambda: {})()
                status = client.request(method, path, headers=headers, **extra).status_code
            if rule == SIGNATURE:  # no bearer token gets anyone past the signature check
                if status < 400 or status == 500:
                    failures.append(f"{method} {template} as {actor} ({rule}): {status}")
                continue
            denied_statuses = (
                {401, 403} if rule in (PUBLIC, SIGNED_IN, CREATOR, ADMIN) else {401, 403, 404}
            )
            allowed = actor in ALLOWED[rule]
            # 503 is "past the rules, but the service (LiveKit, S3) is not configured here".
            if status == 500 or allowed == (status in denied_statuses):
                failures.append(f"{method} {template} as {actor} ({rule}): {status}")
    assert not failures, "\n".join(failures)
