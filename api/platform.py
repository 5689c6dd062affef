"""The rest of the church's platform, registered by create_app as one list: playlists, a
listener's progress and favourites, Bible stories, the community with its moderation, and live
chat."""

from __future__ import annotations

from api.bible_stories import BibleStoriesController
from api.community import (
    ContentCommentsController,
    ModerationController,
    PostsController,
    community_events,
    community_socket,
)
from api.live.chat import ChatController, recording_chat
from api.me import MeController
from api.playlists import PlaylistsController

PLATFORM_HANDLERS: list[object] = [
    PlaylistsController,
    MeController,
    BibleStoriesController,
    PostsController,
    ContentCommentsController,
    ModerationController,
    community_events,
    community_socket,
    ChatController,
    recording_chat,
]
