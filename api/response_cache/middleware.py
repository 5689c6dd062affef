"""Serve repeated GETs of opted-in routes from the cache, before any dependency (the database
session) is resolved; and drop the cache when this process handles a write.

A route opts in with `opt={"response_cache": True}` (the catalog's group) or a group's name
(`"community"`, `"playlists"`: a change to one of the group's tables drops only that group; see
listener.TABLE_GROUPS). Its answer is kept only when it is a 200 that says
`Cache-Control: public` (what any shared cache would honour), and only for requests with neither
an Authorization header nor cookies: those may be answered per caller.

A route that also sets `opt={"response_cache_by_audience": True}` answers signed-in callers the
same within an audience (api/auth/audience.py): their answers are kept under the audience, not
the caller, when they say `Cache-Control: private` (never `public`: no shared cache outside may
keep an answer to an Authorization header). Runs after authentication, which sets the caller.

An answer is kept at most RESPONSE_CACHE_S, unless its route says until when it holds
(`keep_until`) and every table its group reads notifies a change (listener.NOTIFIED_GROUPS):
then nothing but the clock can make it stale, and the route knows when the clock will.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.auth.audience import audience_of
from api.auth.tokens import AuthUser
from api.response_cache.listener import NOTIFIED_GROUPS
from api.response_cache.store import ResponseCache

OPT_KEY = "response_cache"
BY_AUDIENCE_KEY = "response_cache_by_audience"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNTIL_KEY = "response_cache_until"  # in the request's scope["state"]
HIT = (b"x-cache", b"hit")
MISS = (b"x-cache", b"miss")


def keep_until(scope: Scope, until: datetime) -> None:
    """Short of a write to a table its group reads, this answer stays right until `until` (when
    the next sermon it holds back is published, or the longest the settings allow)."""
    scope["state"][UNTIL_KEY] = until


def _lifetime(scope: Scope, group: str) -> float | None:
    """Seconds the route said its answer holds, if its group may be kept that long; None: the
    cache's RESPONSE_CACHE_S."""
    until = scope["state"].get(UNTIL_KEY)
    if until is None or group not in NOTIFIED_GROUPS:
        return None
    return (until - datetime.now(UTC)).total_seconds()


def cache_key(scope: Scope) -> str:
    """The path and the query with its parameters in one order: ?a=1&b=2 is ?b=2&a=1."""
    query = scope.get("query_string", b"")
    if not query:
        return scope["path"]
    pairs = sorted(parse_qsl(query.decode("latin-1"), keep_blank_values=True))
    return f"{scope['path']}?{urlencode(pairs)}"


def _shareable(status: int, headers: list[tuple[bytes, bytes]], signed_in: bool) -> bool:
    if status != 200:
        return False
    for name, value in headers:
        if name.lower() == b"cache-control":
            directives = {part.strip().split(b"=")[0] for part in value.lower().split(b",")}
            if b"no-store" in directives:
                return False
            if signed_in:
                return b"private" in directives
            return b"public" in directives and b"private" not in directives
    return False


def _lookup_key(scope: Scope, by_audience: bool) -> tuple[str, bool] | None:
    """The cache key of this request and whether it is a signed-in caller's; None: not cached."""
    signed_in = False
    for name, _ in scope["headers"]:
        if name == b"cookie":
            return None
        if name == b"authorization":
            signed_in = True
    if not signed_in:
        return cache_key(scope), False
    user = scope.get("user")
    if not by_audience or not isinstance(user, AuthUser):
        return None
    return f"{audience_of(user)}|{cache_key(scope)}", True


class ResponseCacheMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, cache: ResponseCache) -> None:
        self.cache = cache

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        method = scope.get("method", "")  # HTTP only (scopes above)
        if method not in SAFE_METHODS:
            await next_app(scope, receive, self._invalidating(send))
            return
        opt = scope["route_handler"].opt
        group = opt.get(OPT_KEY)
        found = (
            _lookup_key(scope, bool(opt.get(BY_AUDIENCE_KEY)))
            if method == "GET" and self.cache.enabled and group
            else None
        )
        if found is None:
            await next_app(scope, receive, send)
            return
        key, signed_in = found
        group = group if isinstance(group, str) else "catalog"
        entry = self.cache.get(key)
        if entry is None and (leader := self.cache.follow(key)) is not None:
            entry = await asyncio.shield(leader)
        if entry is not None:
            headers = entry.headers + [HIT]
            await send({"type": "http.response.start", "status": entry.status, "headers": headers})
            await send({"type": "http.response.body", "body": entry.body, "more_body": False})
            return
        future = self.cache.lead(key)
        try:
            storing = self._storing(scope, send, key, group, signed_in)
            await next_app(scope, receive, storing)
        finally:
            self.cache.settle(key, future)

    def _invalidating(self, send: Send) -> Send:
        # The write has committed by the time its answer starts: forget before the caller can
        # ask again (PostgreSQL's notification arrives too, a moment later).
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.cache.invalidate()
            await send(message)

        return wrapped

    def _storing(self, scope: Scope, send: Send, key: str, group: str, signed_in: bool) -> Send:
        generation = self.cache.generation
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def wrapped(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
                if _shareable(status, headers, signed_in):
                    message = {**message, "headers": headers + [MISS]}
                else:
                    status = 0  # not kept: pass the rest through untouched
            elif message["type"] == "http.response.body" and status:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body = b"".join(chunks)
                    lifetime = _lifetime(scope, group)
                    self.cache.put(key, generation, status, headers, body, group, lifetime)
            await send(message)

        return wrapped
