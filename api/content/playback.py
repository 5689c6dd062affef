"""Playback: the URLs of a content's live generation, for a player."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.content.schemas import PlaybackOut
from api.content.service import live_assets
from api.errors import Conflict
from models import Content
from pipelines.delivery import public_url
from settings import Settings

FIRST_OF_KIND = {"hls_master": "hls", "mp3": "mp3", "poster": "poster", "storyboard_vtt": "storyboard", "waveform_json": "waveform", "transcript": "transcript"}


async def playback_for(db: AsyncSession, settings: Settings, content: Content) -> PlaybackOut:
    if content.live_generation is None:
        raise Conflict(f"the content is {content.status}: nothing is playable yet")
    urls: dict[str, str] = {}
    captions: list[dict[str, str]] = []
    for asset in await live_assets(db, content):
        field = FIRST_OF_KIND.get(asset.kind)
        if field and field not in urls and (asset.kind != "transcript" or asset.key.endswith(".txt")):
            urls[field] = public_url(settings, asset.key)
        if asset.kind == "captions":
            captions.append({"language": asset.language or "", "url": public_url(settings, asset.key), "format": asset.key.rsplit(".", 1)[-1]})
    return PlaybackOut(
        content_id=content.id, generation=content.live_generation, media_type=content.media_type,
        duration=content.duration, hls=urls.get("hls"), mp3=urls.get("mp3"), poster=urls.get("poster"),
        storyboard=urls.get("storyboard"), waveform=urls.get("waveform"), captions=captions,
        transcript=urls.get("transcript"),
    )
