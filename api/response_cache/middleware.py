"""Serve repeated anonymous GETs of opted-in routes from the cache, before any dependency
(the database session) is resolved; and drop the cache when this process handles a write.

A route opts in with `opt={"response_cache": True}`. Its answer is kept only when it is a 200
that says `Cache-Control: public` (what any shared cache would honour), and only for requests
with neither an Authorization header nor cookies: those may be answered per caller.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl, urlencode

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.response_cache.store import ResponseCache

OPT_KEY = "response_cache"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PER_CALLER_HEADERS = frozenset({b"authorization", b"cookie"})
HIT = (b"x-cache", b"hit")
MISS = (b"x-cache", b"miss")


def cache_key(scope: Scope) -> str:
    """The path and the query with its parameters in one order: ?a=1&b=2 is ?b=2&a=1."""
    query = scope.get("query_string", b"")
    if not query:
        return scope["path"]
    pairs = sorted(parse_qsl(query.decode("latin-1"), keep_blank_values=True))
    return f"{scope['path']}?{urlencode(pairs)}"


def _shareable(status: int, headers: list[tuple[bytes, bytes]]) -> bool:
    if status != 200:
        return False
    for name, value in headers:
        if name.lower() == b"cache-control":
            directives = {part.strip().split(b"=")[0] for part in value.lower().split(b",")}
            return b"public" in directives and not directives & {b"private", b"no-store"}
    return False


class ResponseCacheMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, cache: ResponseCache) -> None:
        self.cache = cache

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        method = scope.get("method", "")  # HTTP only (scopes above)
        if method not in SAFE_METHODS:
            await next_app(scope, receive, self._invalidating(send))
            return
        if (
            method != "GET"
            or not self.cache.enabled
            or not scope["route_handler"].opt.get(OPT_KEY)
            or any(name in PER_CALLER_HEADERS for name, _ in scope["headers"])
        ):
            await next_app(scope, receive, send)
            return
        key = cache_key(scope)
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
            await next_app(scope, receive, self._storing(send, key, self.cache.generation))
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

    def _storing(self, send: Send, key: str, generation: int) -> Send:
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def wrapped(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
                if _shareable(status, headers):
                    message = {**message, "headers": headers + [MISS]}
                else:
                    status = 0  # not kept: pass the rest through untouched
            elif message["type"] == "http.response.body" and status:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self.cache.put(key, generation, status, headers, b"".join(chunks))
            await send(message)

        return wrapped
