"""Who may call each route of the platform's APIs (playlists, progress and favourites, Bible
stories, community, moderation, live chat): the rule each route states, checked for six callers
by tests/platform/test_authorization_matrix.py. The app-wide matrix (tests/api) leaves these
routes to that test."""

from __future__ import annotations

V1 = "/api/v1"

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed_in"  # any account
CREATOR = "creator"  # creators and admins
MODERATOR = "moderator"  # moderators and admins
OWNER = "owner"  # the subject is private to its owner: others get 404 (or 401/403)
AUTHOR = "author"  # only the author (not even an admin writes in someone's name)
AUTHOR_OR_MODERATOR = "author_or_moderator"

RULES: dict[tuple[str, str], str] = {
    ("POST", f"{V1}/playlists"): SIGNED_IN,
    ("GET", f"{V1}/playlists"): PUBLIC,
    ("GET", f"{V1}/playlists/{{playlist_id:str}}"): OWNER,
    ("PATCH", f"{V1}/playlists/{{playlist_id:str}}"): OWNER,
    ("DELETE", f"{V1}/playlists/{{playlist_id:str}}"): OWNER,
    ("POST", f"{V1}/playlists/{{playlist_id:str}}/items"): OWNER,
    ("PUT", f"{V1}/playlists/{{playlist_id:str}}/items"): OWNER,
    ("DELETE", f"{V1}/playlists/{{playlist_id:str}}/items/{{content_id:str}}"): OWNER,
    # Podcast apps call anonymously: a private playlist has no feed for anyone.
    ("GET", f"{V1}/playlists/{{playlist_id:str}}/feed.xml"): "nobody",
    # The subject content is the owner's private draft: others cannot save progress on it.
    ("PUT", f"{V1}/me/progress/{{content_id:str}}"): OWNER,
    ("GET", f"{V1}/me/progress/{{content_id:str}}"): OWNER,
    ("GET", f"{V1}/me/continue"): SIGNED_IN,
    ("GET", f"{V1}/me/favourites"): SIGNED_IN,
    ("PUT", f"{V1}/me/favourites/{{content_id:str}}"): OWNER,
    ("DELETE", f"{V1}/me/favourites/{{content_id:str}}"): SIGNED_IN,
}
WEBSOCKETS: set[str] = set()
ROUTES = set(RULES)
