"""The page registry: the navigation, and the page groups (controllers) the web router serves.

A new group of pages (playlists, community, Bible stories, editing...) is a module with a
Controller and its templates, one entry in PAGE_GROUPS (api/web/router.py) and, if it belongs
in the header, one NavLink here.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.auth.tokens import AuthUser


@dataclass(frozen=True)
class NavLink:
    label: str
    path: str
    roles: tuple[str, ...] = ()  # empty: everyone

    def shown_to(self, user: AuthUser | None) -> bool:
        return not self.roles or (user is not None and user.role in self.roles)


NAV: list[NavLink] = [
    NavLink("Home", "/"),
    NavLink("Library", "/library"),
    NavLink("Playlists", "/playlists"),
    NavLink("Stories", "/stories"),
    NavLink("Live", "/live"),
    NavLink("Community", "/community"),  # visitors are asked to sign in
    NavLink("Studio", "/studio", roles=("creator", "admin")),
    NavLink("Admin", "/admin", roles=("admin",)),
    NavLink("Moderation", "/moderation", roles=("moderator", "admin")),
]


def nav_for(user: AuthUser | None) -> list[NavLink]:
    return [link for link in NAV if link.shown_to(user)]
