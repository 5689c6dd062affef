"""Playback: the URLs of a content's live generation, for a player.

Public, published content gets plain CDN URLs. Anything else (unlisted, private, not yet
published) gets signed access over the content's whole prefix, so every segment the player
fetches relative to the master passes too (see pipelines.storage.delivery).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from api.content.schemas import PlaybackOut
from api.content.service import visible_to
from api.errors import Conflict
from models import Content, live_assets
from pipelines.storage.delivery import grant_access, public_url, signed_url
from settings import Settings

FIRST_OF_KIND = {
    "hls_master": "hls",
    "mp3": "mp3",
    "mp4": "mp4",
    "poster": "poster",
    "storyboard_vtt": "storyboard",
    "waveform_json": "waveform",
    "transcript": "transcript",
}


def is_public(content: Content) -> bool:
    return content.visibility == "public" and content.published_at is not None


def playback_cache_control(content: Content) -> str:
    """Plain URLs of content anyone may play are the same for every caller: shared caches (the
    CDN, api/response_cache) may keep them as briefly as catalog pages. Signed grants are per
    caller and never kept."""
    if is_public(content) and visible_to(content, None):
        return "public, max-age=15"
    return "private, no-store"


async def playback_for(db: AsyncSession, settings: Settings, content: Content) -> PlaybackOut:
    if content.live_generation is None:
        raise Conflict(f"the content is {content.status}: nothing is playable yet")
    grant = None if is_public(content) else grant_access(settings, content.id)
    url: Callable[[str], str] = (
        (lambda key: public_url(settings, key))
        if grant is None
        else (lambda key: signed_url(settings, grant, key))
    )
    urls: dict[str, str] = {}
    captions: list[dict[str, str]] = []
    for asset in await live_assets(db, content):
        field = FIRST_OF_KIND.get(asset.kind)
        wanted = asset.kind != "transcript" or asset.key.endswith(".txt")
        if field and field not in urls and wanted:
            urls[field] = url(asset.key)
        if asset.kind == "captions":
            captions.append(
                {
                    "language": asset.language or "",
                    "url": url(asset.key),
                    "format": asset.key.rsplit(".", 1)[-1],
                }
            )
    return PlaybackOut(
        content_id=content.id,
        generation=content.live_generation,
        media_type=content.media_type,
        duration=content.duration,
        hls=urls.get("hls"),
        mp3=urls.get("mp3"),
        mp4=urls.get("mp4"),
        poster=urls.get("poster"),
        storyboard=urls.get("storyboard"),
        waveform=urls.get("waveform"),
        captions=captions,
        transcript=urls.get("transcript"),
        expires_at=grant.expires_at if grant else None,
        cookies=grant.cookies if grant else None,
    )
