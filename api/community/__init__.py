"""The community: posts and prayer requests, comments (on posts and on content), reactions,
reports, moderation, and the `community` event stream."""

from api.community.content_comments import ContentCommentsController
from api.community.controller import PostsController
from api.community.events import community_events, community_socket
from api.community.moderation import ModerationController

__all__ = [
    "ContentCommentsController",
    "ModerationController",
    "PostsController",
    "community_events",
    "community_socket",
]
