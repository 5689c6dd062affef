"""A fresh API token for a page that stays open: the token a page carries (api/web/live.py
page_token) lasts ACCESS_TOKEN_TTL_S (15 minutes by default), less than a sermon; a page's
script that is refused with 401 asks here, with the session's cookie, for a new one.

A GET is safe from other sites: they can send the cookie but cannot read the answer (the pages
send no CORS headers, and `nosniff` stops it being read as a script)."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency

from api.auth.middleware import signed_in
from api.auth.tokens import AuthUser
from api.web.live import page_token
from settings import Settings


class PageToken(msgspec.Struct, kw_only=True):
    token: str
    expires_in: int


class PageTokenPages(Controller):
    include_in_schema = False

    @get("/page-token", name="page_token", guards=[signed_in])
    async def fresh(
        self, user: NamedDependency[AuthUser | None], settings: NamedDependency[Settings]
    ) -> Response[PageToken]:
        answer = PageToken(token=page_token(settings, user), expires_in=settings.access_token_ttl_s)
        return Response(answer, headers={"cache-control": "private, no-store"})
