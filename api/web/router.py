"""The pages' router: every page group, behind the session, the CSRF check and the page headers,
with errors shown as pages. The static files are served beside it, outside all of that (no
cookies on them, so any cache may keep them)."""

from __future__ import annotations

from typing import Any

from litestar import Router

from api.web.account import AccountPages
from api.web.admin import AdminPages
from api.web.assets import static_file
from api.web.community import CommunityPages
from api.web.community_forms import CommunityForms
from api.web.embed import EmbedPages
from api.web.errors import PAGE_EXCEPTION_HANDLERS
from api.web.listening import ListeningPages
from api.web.live import LivePages
from api.web.moderation import ModerationPages
from api.web.page_tokens import PageTokenPages
from api.web.playlists import PlaylistPages
from api.web.security import PageHeaders
from api.web.session import page_middleware
from api.web.stories import StoryPages
from api.web.studio import StudioPages
from settings import Settings

# The page groups; a new group is one entry here (see api/web/pages.py for the navigation).
PAGE_GROUPS: list[Any] = [
    ListeningPages,
    LivePages,
    PlaylistPages,
    StoryPages,
    PageTokenPages,
    EmbedPages,
    AccountPages,
    StudioPages,
    AdminPages,
    CommunityPages,
    CommunityForms,
    ModerationPages,
]


def web_handlers(settings: Settings) -> list[Any]:
    pages = Router(
        path="/",
        route_handlers=PAGE_GROUPS,
        middleware=[PageHeaders(settings), *page_middleware(settings)],
        exception_handlers=PAGE_EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        include_in_schema=False,
    )
    return [pages, static_file]
