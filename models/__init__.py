"""The data: SQLAlchemy models, engines and migrations."""

from models.accounts import ROLES, RefreshToken, User
from models.added_tracks import ADDED_TRACK_STATUSES, AddedTrack
from models.base import Base, new_id, table_of, utcnow
from models.chat import ChatMessage, ChatSettings
from models.community import (
    Comment,
    ContentComments,
    HeldWord,
    ModerationAction,
    Mute,
    Post,
    Reaction,
    Report,
)
from models.content import (
    CONTENT_KINDS,
    VISIBILITIES,
    Asset,
    Content,
    Series,
    Transcript,
    Upload,
    live_assets,
)
from models.db import (
    async_session_factory,
    make_async_engine,
    make_sync_engine,
    sync_session_factory,
)
from models.jobs import FINISHED, JOB_STATUSES, Job
from models.live import LiveEvent, LiveSession
from models.playlists import Favourite, PlaybackProgress, Playlist, PlaylistItem
from models.stories import BibleStory, StoryIllustration

__all__ = [
    "ADDED_TRACK_STATUSES",
    "CONTENT_KINDS",
    "FINISHED",
    "JOB_STATUSES",
    "ROLES",
    "VISIBILITIES",
    "AddedTrack",
    "Asset",
    "BibleStory",
    "ChatMessage",
    "ChatSettings",
    "Comment",
    "ContentComments",
    "Favourite",
    "HeldWord",
    "ModerationAction",
    "Mute",
    "PlaybackProgress",
    "Playlist",
    "PlaylistItem",
    "Post",
    "Reaction",
    "Report",
    "StoryIllustration",
    "Base",
    "Content",
    "Job",
    "LiveEvent",
    "LiveSession",
    "RefreshToken",
    "Series",
    "Transcript",
    "Upload",
    "User",
    "async_session_factory",
    "make_async_engine",
    "make_sync_engine",
    "new_id",
    "sync_session_factory",
    "live_assets",
    "table_of",
    "utcnow",
]
