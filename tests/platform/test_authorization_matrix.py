"""Who may call what on the platform's routes: every route of tests/platform/matrix_rules.py,
each of six callers (anonymous, a listener, another member who is a creator, the owner, a
moderator, an admin), against fresh subjects made for each request.

Subjects are private to "owner" where a route is about something of theirs (a playlist, a
draft, a story's narration, a service); a post and its comment are the owner's and seen by
every member, so the rule there is about who may change them.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from sqlalchemy import select

from models import (
    BibleStory,
    ChatMessage,
    Comment,
    Content,
    ContentComments,
    LiveSession,
    PlaybackProgress,
    Playlist,
    PlaylistItem,
    Post,
    Report,
    StoryIllustration,
)
from tests.conftest import Accounts
from tests.platform.images import photo
from tests.platform.matrix_rules import (
    AUTHOR,
    AUTHOR_OR_MODERATOR,
    CREATOR,
    MODERATOR,
    OWNER,
    PUBLIC,
    RULES,
    SIGNED_IN,
    STREAMS,
    V1,
)
from workers.db import session_scope

ACTORS = ("anonymous", "listener", "other_member", "owner", "moderator", "admin")
ALLOWED = {
    PUBLIC: set(ACTORS),
    SIGNED_IN: set(ACTORS) - {"anonymous"},
    CREATOR: {"other_member", "owner", "admin"},
    MODERATOR: {"moderator", "admin"},
    OWNER: {"owner", "admin"},
    AUTHOR: {"owner"},
    AUTHOR_OR_MODERATOR: {"owner", "moderator", "admin"},
    "nobody": set(),
}
# A rule about who the caller is answers 401/403; one about a subject may also answer 404, so
# a private thing's existence is not revealed.
ROLE_RULES = {PUBLIC, SIGNED_IN, CREATOR, MODERATOR}


class Subjects:
    def __init__(self, users: dict[str, dict[str, str]]) -> None:
        self.users = users

    def make(self) -> dict[str, str]:
        owner = self.users["owner"]["id"]
        with session_scope() as session:
            content = Content(owner_id=owner, title="Draft", status="draft", visibility="private")
            narration = Content(
                owner_id=owner, kind="bible_story", title="Story", visibility="private"
            )
            playlist = Playlist(owner_id=owner, title="Private list", visibility="private")
            post = Post(author_id=owner, text="Hello, church")
            live = LiveSession(
                owner_id=owner,
                room_name=f"room-{secrets.token_hex(4)}",
                title="Vigil",
                visibility="private",
                status="live",
            )
            session.add_all([content, narration, playlist, post, live])
            session.flush()
            live.content_id = content.id  # the service's recording, for its chat replay
            story = BibleStory(content_id=narration.id, owner_id=owner, title="Story")
            session.add_all(
                [
                    story,
                    PlaylistItem(playlist_id=playlist.id, content_id=content.id, position=0),
                    ContentComments(content_id=content.id, enabled=True),
                    ChatMessage(session_id=live.id, author_id=owner, author_name="O", text="hi"),
                ]
            )
            # Every caller has started the draft, so reading progress back is not a 404.
            for user in self.users.values():
                session.add(
                    PlaybackProgress(user_id=user["id"], content_id=content.id, position=1.0)
                )
            session.flush()
            comment = Comment(post_id=post.id, author_id=owner, text="First!")
            content_comment = Comment(content_id=content.id, author_id=owner, text="Note")
            illustration = StoryIllustration(story_id=story.id, width=1, height=1, renditions=[])
            report = Report(
                target_type="post",
                target_id=post.id,
                reporter_id=self.users["listener"]["id"],
                reason="test",
            )
            session.add_all([comment, content_comment, illustration, report])
            session.flush()
            message = session.scalars(
                select(ChatMessage.id).where(ChatMessage.session_id == live.id)
            ).one()
            return {
                "content_id": content.id,
                "playlist_id": playlist.id,
                "story_id": story.id,
                "illustration_id": illustration.id,
                "post_id": post.id,
                "comment_id": comment.id,
                "content_comment_id": content_comment.id,
                "report_id": report.id,
                "session_id": live.id,
                "message_id": message,
                "user_id": self.users["bystander"]["id"],  # muted by the mute routes
                "word": "casino",
                "kind": "amen",
            }


def _bodies(values: dict[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    """Valid bodies where a handler checks ownership after parsing (a 400 would hide the rule)."""
    moderate = {"json": {"action": "hide", "reason": "matrix"}}
    mute = {"json": {"user_id": values["user_id"], "minutes": 5}}
    illustration = f"{V1}/bible-stories/{{story_id:str}}/illustrations"
    return {
        ("POST", f"{V1}/playlists"): {"json": {"title": "Mine"}},
        ("PATCH", f"{V1}/playlists/{{playlist_id:str}}"): {"json": {"title": "Renamed"}},
        ("POST", f"{V1}/playlists/{{playlist_id:str}}/items"): {
            "json": {"content_id": values["content_id"]}
        },
        ("PUT", f"{V1}/playlists/{{playlist_id:str}}/items"): {
            "json": {"content_ids": [values["content_id"]]}
        },
        ("PUT", f"{V1}/me/progress/{{content_id:str}}"): {"json": {"position": 12.5}},
        ("PUT", f"{V1}/playlists/{{playlist_id:str}}/cover"): {"content": photo(64, 48)},
        ("GET", f"{V1}/me/reactions"): {"params": {"post_id": values["post_id"]}},
        ("POST", f"{V1}/bible-stories"): {"json": {"title": "Ruth", "scripture": ["Ruth 1"]}},
        ("PATCH", f"{V1}/bible-stories/{{story_id:str}}"): {"json": {"title": "Renamed"}},
        ("POST", illustration): {"content": photo(64, 48)},
        ("PATCH", f"{illustration}/{{illustration_id:str}}"): {"json": {"at_s": 2.0}},
        ("POST", f"{V1}/posts"): {"json": {"text": "Hello"}},
        ("PATCH", f"{V1}/posts/{{post_id:str}}"): {"json": {"text": "Edited"}},
        ("POST", f"{V1}/posts/{{post_id:str}}/comments"): {"json": {"text": "Amen"}},
        ("POST", f"{V1}/posts/{{post_id:str}}/reactions"): {"json": {"kind": "amen"}},
        ("POST", f"{V1}/posts/{{post_id:str}}/reports"): {"json": {"reason": "spam"}},
        ("POST", f"{V1}/content/{{content_id:str}}/comments"): {"json": {"text": "Good"}},
        ("PUT", f"{V1}/content/{{content_id:str}}/comments/enabled"): {"json": {"enabled": True}},
        ("PATCH", f"{V1}/content/{{content_id:str}}/comments/{{comment_id:str}}"): {
            "json": {"text": "Edited"}
        },
        ("POST", f"{V1}/content/{{content_id:str}}/comments/{{comment_id:str}}/reports"): {
            "json": {"reason": "spam"}
        },
        ("POST", f"{V1}/moderation/reports/{{report_id:str}}/dismiss"): {"json": {}},
        ("POST", f"{V1}/moderation/posts/{{post_id:str}}"): moderate,
        ("POST", f"{V1}/moderation/comments/{{comment_id:str}}"): moderate,
        ("POST", f"{V1}/moderation/mutes"): mute,
        ("POST", f"{V1}/moderation/words"): {"json": {"word": "casino"}},
        ("POST", f"{V1}/live/sessions/{{session_id:str}}/chat"): {"json": {"text": "Amen"}},
        ("PUT", f"{V1}/live/sessions/{{session_id:str}}/chat/settings"): {
            "json": {"slow_mode_s": 0}
        },
        ("POST", f"{V1}/live/sessions/{{session_id:str}}/chat/mutes"): mute,
    }


@pytest.fixture()
def users(accounts: Accounts) -> dict[str, dict[str, str]]:
    return {
        "listener": accounts.make("listener"),
        "other_member": accounts.make("creator"),
        "owner": accounts.make("creator"),
        "moderator": accounts.make("moderator"),
        "admin": accounts.make("admin"),
        "bystander": accounts.make("listener"),  # not a caller: the one moderators mute
    }


def _fill(template: str, values: dict[str, str]) -> str:
    if template.startswith(f"{V1}/content/"):  # a comment on the content, not on the post
        values = {**values, "comment_id": values["content_comment_id"]}
    path = template
    for name, value in values.items():
        path = path.replace(f"{{{name}:str}}", value)
    assert "{" not in path, f"no subject for {template}"
    return path


def test_every_platform_route_is_checked_for_every_caller(
    client, users: dict[str, dict[str, str]]
) -> None:  # type: ignore[no-untyped-def]
    subjects = Subjects(users)
    failures: list[str] = []
    for (method, template), rule in sorted(RULES.items()):
        for actor in ACTORS:
            values = subjects.make()
            headers = {} if actor == "anonymous" else Accounts.auth(users[actor])
            denied = {401, 403} if rule in ROLE_RULES else {401, 403, 404}
            if template in STREAMS:  # endless once allowed: the refusals are what is checked
                if actor not in ALLOWED[rule]:
                    status = client.get(_fill(template, values), headers=headers).status_code
                    if status not in denied:
                        failures.append(f"{method} {template} as {actor} ({rule}): {status}")
                continue
            extra = _bodies(values).get((method, template), {})
            status = client.request(
                method, _fill(template, values), headers=headers, **extra
            ).status_code
            allowed = actor in ALLOWED[rule]
            if status >= 500 or allowed == (status in denied):
                failures.append(f"{method} {template} as {actor} ({rule}): {status}")
    assert not failures, "\n".join(failures)


def test_a_moderator_is_a_role_an_admin_can_give(client, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    admin, member = accounts.make("admin"), accounts.make("listener")
    response = client.patch(
        f"{V1}/users/{member['id']}/role",
        json={"role": "moderator"},
        headers=Accounts.auth(admin),
    )
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "moderator"
