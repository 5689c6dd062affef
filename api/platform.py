"""The rest of the church's platform, registered by create_app as one list: playlists, a
listener's progress and favourites, Bible stories, the community with its moderation, and live
chat."""

from __future__ import annotations

from api.me import MeController
from api.playlists import PlaylistsController

PLATFORM_HANDLERS: list[type] = [PlaylistsController, MeController]
