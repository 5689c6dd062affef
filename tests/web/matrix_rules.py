"""Who may open each page (api/web): the rule each route states, checked by
tests/web/test_pages_http.py for four callers. The app-wide matrix (tests/api) leaves these
routes to that test."""

from __future__ import annotations

PUBLIC = "public"  # anyone, signed in or not
CREATOR = "creator"  # creators and admins (others: sign in, or 403)
ADMIN = "admin"  # admins only
MEMBER = "member"  # any signed-in account (a visitor: sign in)
MODERATOR = "moderator"  # moderators and admins (others: sign in, or 403)
FORM = "form"  # a POST: refused without the CSRF token, whoever sends it

RULES: dict[tuple[str, str], str] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/library"): PUBLIC,
    ("GET", "/library/{content_id:str}"): PUBLIC,  # what load_content allows: tests/web
    ("GET", "/series/{series_id:str}"): PUBLIC,
    ("GET", "/playlists"): PUBLIC,
    ("GET", "/playlists/{playlist_id:str}"): PUBLIC,  # what load_playlist allows
    ("GET", "/stories"): PUBLIC,
    ("GET", "/stories/{story_id:str}"): PUBLIC,  # what load_story allows
    ("GET", "/page-token"): MEMBER,  # a page's fresh API token
    ("GET", "/live"): PUBLIC,
    ("GET", "/live/{session_id:str}"): PUBLIC,  # what load_session allows
    ("GET", "/embed/live"): PUBLIC,
    ("GET", "/embed/{content_id:str}"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): FORM,
    ("POST", "/logout"): FORM,
    ("GET", "/static/{tag:str}/{name:path}"): PUBLIC,
    ("GET", "/studio"): CREATOR,
    ("GET", "/studio/new"): CREATOR,
    ("GET", "/studio/scripture"): CREATOR,
    ("GET", "/studio/{content_id:str}"): CREATOR,
    ("GET", "/admin"): ADMIN,
    ("POST", "/admin/jobs/{job_id:str}/retry"): FORM,
    ("POST", "/admin/jobs/{job_id:str}/cancel"): FORM,
    ("POST", "/admin/jobs/retry"): FORM,
    ("POST", "/admin/users/{user_id:str}/role"): FORM,
    ("POST", "/admin/users/{user_id:str}/disabled"): FORM,
    ("GET", "/community"): MEMBER,
    ("GET", "/community/{post_id:str}"): MEMBER,  # what load_post allows
    ("GET", "/community/{post_id:str}/card"): MEMBER,
    ("POST", "/community"): FORM,
    ("POST", "/community/{post_id:str}/comments"): FORM,
    ("GET", "/moderation"): MODERATOR,
}
ROUTES = frozenset(RULES)
