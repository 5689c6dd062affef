"""A playlist's podcast feed channel: the series feed's rendering, with the playlist's metadata."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.series.feeds import Channel
from models import Playlist, User
from settings import Settings


async def playlist_channel(db: AsyncSession, settings: Settings, playlist: Playlist) -> Channel:
    owner = await db.get(User, playlist.owner_id)
    author = settings.podcast_author if playlist.curated or owner is None else owner.display_name
    return Channel(
        url=f"{settings.public_base_url.rstrip('/')}/api/v1/playlists/{playlist.id}/feed.xml",
        title=playlist.title,
        description=playlist.description or playlist.title,
        author=author or settings.podcast_author,
        image_url=playlist.cover_url or settings.podcast_image_url,
        category="Religion & Spirituality",
        explicit=False,
        language="en",
        updated_at=playlist.updated_at,
    )
