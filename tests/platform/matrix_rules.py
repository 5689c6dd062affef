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
    ("PUT", f"{V1}/playlists/{{playlist_id:str}}/cover"): OWNER,
    ("DELETE", f"{V1}/playlists/{{playlist_id:str}}/cover"): OWNER,
    # Podcast apps call anonymously: a private playlist has no feed for anyone.
    ("GET", f"{V1}/playlists/{{playlist_id:str}}/feed.xml"): "nobody",
    # The subject content is the owner's private draft: others cannot save progress on it.
    ("PUT", f"{V1}/me/progress/{{content_id:str}}"): OWNER,
    ("GET", f"{V1}/me/progress/{{content_id:str}}"): OWNER,
    ("GET", f"{V1}/me/continue"): SIGNED_IN,
    ("GET", f"{V1}/me/favourites"): SIGNED_IN,
    ("PUT", f"{V1}/me/favourites/{{content_id:str}}"): OWNER,
    ("DELETE", f"{V1}/me/favourites/{{content_id:str}}"): SIGNED_IN,
    # A member's own reactions to the posts named (the feed is shared, these are not).
    ("GET", f"{V1}/me/reactions"): SIGNED_IN,
    ("POST", f"{V1}/bible-stories"): CREATOR,
    ("GET", f"{V1}/bible-stories"): PUBLIC,
    # The subject story's narration is the owner's private draft.
    ("GET", f"{V1}/bible-stories/{{story_id:str}}"): OWNER,
    ("PATCH", f"{V1}/bible-stories/{{story_id:str}}"): OWNER,
    ("DELETE", f"{V1}/bible-stories/{{story_id:str}}"): OWNER,
    ("POST", f"{V1}/bible-stories/{{story_id:str}}/illustrations"): OWNER,
    ("PATCH", f"{V1}/bible-stories/{{story_id:str}}/illustrations/{{illustration_id:str}}"): OWNER,
    ("DELETE", f"{V1}/bible-stories/{{story_id:str}}/illustrations/{{illustration_id:str}}"): OWNER,
    # The community is for members; the subject post and comment are the owner's.
    ("GET", f"{V1}/posts"): SIGNED_IN,
    ("POST", f"{V1}/posts"): SIGNED_IN,
    ("GET", f"{V1}/posts/{{post_id:str}}"): SIGNED_IN,
    ("PATCH", f"{V1}/posts/{{post_id:str}}"): AUTHOR,
    ("DELETE", f"{V1}/posts/{{post_id:str}}"): AUTHOR_OR_MODERATOR,
    ("GET", f"{V1}/posts/{{post_id:str}}/comments"): SIGNED_IN,
    ("POST", f"{V1}/posts/{{post_id:str}}/comments"): SIGNED_IN,
    ("DELETE", f"{V1}/posts/{{post_id:str}}/comments/{{comment_id:str}}"): AUTHOR_OR_MODERATOR,
    ("POST", f"{V1}/posts/{{post_id:str}}/reactions"): SIGNED_IN,
    ("DELETE", f"{V1}/posts/{{post_id:str}}/reactions/{{kind:str}}"): SIGNED_IN,
    ("POST", f"{V1}/posts/{{post_id:str}}/reports"): SIGNED_IN,
    ("GET", f"{V1}/community/events"): SIGNED_IN,
    # Comments on the owner's private draft (switched on).
    ("GET", f"{V1}/content/{{content_id:str}}/comments"): OWNER,
    ("POST", f"{V1}/content/{{content_id:str}}/comments"): OWNER,
    ("PUT", f"{V1}/content/{{content_id:str}}/comments/enabled"): OWNER,
    ("DELETE", f"{V1}/content/{{content_id:str}}/comments/{{comment_id:str}}"): OWNER,
    ("POST", f"{V1}/content/{{content_id:str}}/comments/{{comment_id:str}}/reports"): OWNER,
    # Only the comment's author changes its text (the subject comment is the owner's).
    ("PATCH", f"{V1}/content/{{content_id:str}}/comments/{{comment_id:str}}"): AUTHOR,
    # The subject draft's comments, live: whoever may see it (the owner and admins).
    ("GET", f"{V1}/content/{{content_id:str}}/comments/events"): OWNER,
    ("GET", f"{V1}/moderation/reports"): MODERATOR,
    ("POST", f"{V1}/moderation/reports/{{report_id:str}}/dismiss"): MODERATOR,
    ("GET", f"{V1}/moderation/held"): MODERATOR,
    ("POST", f"{V1}/moderation/posts/{{post_id:str}}"): MODERATOR,
    ("POST", f"{V1}/moderation/comments/{{comment_id:str}}"): MODERATOR,
    ("POST", f"{V1}/moderation/mutes"): MODERATOR,
    ("DELETE", f"{V1}/moderation/mutes/{{user_id:str}}"): MODERATOR,
    ("GET", f"{V1}/moderation/words"): MODERATOR,
    ("POST", f"{V1}/moderation/words"): MODERATOR,
    ("DELETE", f"{V1}/moderation/words/{{word:str}}"): MODERATOR,
    ("GET", f"{V1}/moderation/log"): MODERATOR,
    # The subject service is the owner's private one; its recording is the subject content.
    ("GET", f"{V1}/live/sessions/{{session_id:str}}/chat"): OWNER,
    ("POST", f"{V1}/live/sessions/{{session_id:str}}/chat"): OWNER,
    ("DELETE", f"{V1}/live/sessions/{{session_id:str}}/chat/{{message_id:str}}"): OWNER,
    ("PUT", f"{V1}/live/sessions/{{session_id:str}}/chat/settings"): OWNER,
    ("POST", f"{V1}/live/sessions/{{session_id:str}}/chat/mutes"): OWNER,
    ("GET", f"{V1}/content/{{content_id:str}}/chat"): OWNER,
}
# Endless streams: the matrix checks that anonymous callers are refused before they start.
STREAMS = {f"{V1}/community/events", f"{V1}/content/{{content_id:str}}/comments/events"}
# Tested in tests/platform/test_community.py (members), tests/web/test_sermon_comments_live.py
# (a sermon's comments) and tests/live (sessions).
WEBSOCKETS: set[str] = {f"{V1}/community/ws", f"{V1}/content/{{content_id:str}}/comments/ws"}
ROUTES = set(RULES)
