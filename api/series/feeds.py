"""Podcast feeds: RSS 2.0 with the iTunes tags (feedgen's podcast extension) and Podcasting 2.0's
podcast:guid and podcast:transcript (api/series/podcast_index.py, by hand: feedgen lacks them).

Items are the public, published, ready sermons with an MP3 in their live generation (audio and
video alike: the video plan makes one of the default audio track). Every feed carries what
Apple Podcasts and the directories require: artwork, owner, category and explicit; each item
links to the sermon's page and has a GUID made of its content id. The
validator (ETag) is a digest of what the feed is made of, so a 304 costs one query and no XML.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator
from sqlalchemy import Row, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.series.podcast_index import PodcastIndexEntryExtension, PodcastIndexExtension, podcast_guid
from models import Asset, Content, Series
from models.visibility import listed
from pipelines.storage.delivery import public_url
from settings import Settings

# Podcast apps read the newest episodes; a church's whole archive would make a feed megabytes.
FEED_ITEMS = 300
CAPTION_TYPES = {"vtt": "text/vtt", "srt": "application/srt", "json": "application/json"}


@dataclass(frozen=True)
class Channel:
    """The feed's own metadata: a series, or the all-sermons feed."""

    url: str
    title: str
    description: str
    author: str
    image_url: str
    category: str
    explicit: bool
    language: str
    updated_at: datetime


@dataclass(frozen=True)
class Episode:
    content: Content
    mp3: Asset
    captions: list[Asset]


def series_channel(settings: Settings, series: Series) -> Channel:
    return Channel(
        url=f"{settings.public_base_url.rstrip('/')}/api/v1/series/{series.id}/feed.xml",
        title=series.title,
        description=series.description or series.title,
        author=series.author or settings.podcast_author,
        image_url=series.image_url or settings.podcast_image_url,
        category=series.category or settings.podcast_category,
        explicit=series.explicit,
        language=series.language,
        updated_at=series.updated_at,
    )


def all_sermons_channel(settings: Settings) -> Channel:
    return Channel(
        url=f"{settings.public_base_url.rstrip('/')}/api/v1/feed.xml",
        title=settings.podcast_title,
        description=f"Every sermon of {settings.podcast_author or settings.podcast_title}.",
        author=settings.podcast_author,
        image_url=settings.podcast_image_url,
        category=settings.podcast_category,
        explicit=False,
        language="en",
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


async def episodes(db: AsyncSession, series_id: str | None) -> list[Episode]:
    """The feed's items, newest first: two queries, whatever the number of items."""
    query = (
        select(Content, Asset)
        .join(
            Asset, and_(Asset.content_id == Content.id, Asset.generation == Content.live_generation)
        )
        .where(listed(), Asset.kind == "mp3")
        .order_by(Content.published_at.desc(), Content.id.desc())
        .limit(FEED_ITEMS)
    )
    query = (
        query.where(Content.series_id == series_id)
        if series_id
        else query.where(Content.kind == "sermon")
    )
    return await _with_captions(db, (await db.execute(query)).all())


async def episodes_of(db: AsyncSession, content_ids: list[str]) -> list[Episode]:
    """The listed ones of `content_ids` as feed items, in the order given (a playlist's)."""
    if not content_ids:
        return []
    query = (
        select(Content, Asset)
        .join(
            Asset, and_(Asset.content_id == Content.id, Asset.generation == Content.live_generation)
        )
        .where(listed(), Asset.kind == "mp3", Content.id.in_(content_ids))
    )
    found = {e.content.id: e for e in await _with_captions(db, (await db.execute(query)).all())}
    return [found[content_id] for content_id in content_ids if content_id in found]


async def _with_captions(db: AsyncSession, rows: Sequence[Row[Content, Asset]]) -> list[Episode]:
    seen: dict[str, Episode] = {}
    for content, mp3 in rows:
        seen.setdefault(content.id, Episode(content=content, mp3=mp3, captions=[]))
    if seen:
        captions = await db.scalars(
            select(Asset)
            .join(Content, Content.id == Asset.content_id)
            .where(
                Asset.content_id.in_(list(seen)),
                Asset.kind == "captions",
                Asset.generation == Content.live_generation,
            )
            .order_by(Asset.key)
        )
        for asset in captions:
            seen[asset.content_id].captions.append(asset)
    return list(seen.values())


def validators(channel: Channel, items: list[Episode]) -> tuple[str, datetime]:
    """(ETag, Last-Modified) from everything the feed shows."""
    digest = hashlib.sha256(repr(channel).encode())
    last = channel.updated_at
    for episode in items:
        content = episode.content
        digest.update(
            f"{content.id}|{content.updated_at.isoformat()}|{content.published_at}|"
            f"{episode.mp3.key}|{episode.mp3.bytes}|{len(episode.captions)}".encode()
        )
        last = max(last, content.updated_at, content.published_at or last)
    return f'"{digest.hexdigest()[:32]}"', last.replace(microsecond=0)


def render_feed(settings: Settings, channel: Channel, items: list[Episode]) -> bytes:
    feed = FeedGenerator()
    feed.load_extension("podcast")
    feed.register_extension("podcastindex", PodcastIndexExtension, PodcastIndexEntryExtension)
    feed.title(channel.title)
    feed.description(channel.description)
    feed.link(href=channel.url, rel="self")
    feed.link(href=settings.public_base_url, rel="alternate")
    feed.language(channel.language)
    feed.lastBuildDate(None)  # keep the bytes stable between requests: the ETag names them
    feed.generator("CNT Media")
    if channel.author:
        feed.author({"name": channel.author})
        feed.podcast.itunes_author(channel.author)
    if settings.podcast_owner_email:  # itunes:owner takes both or neither; Apple mails it
        owner = settings.podcast_author or channel.author or settings.podcast_title
        feed.podcast.itunes_owner(name=owner, email=settings.podcast_owner_email)
    if channel.image_url:
        feed.image(url=channel.image_url, title=channel.title, link=settings.public_base_url)
        feed.podcast.itunes_image(channel.image_url)
    feed.podcast.itunes_category(_category(channel.category))
    feed.podcastindex.explicit(channel.explicit)
    feed.podcast.itunes_summary(channel.description)
    feed.podcastindex.guid(podcast_guid(channel.url))
    for episode in reversed(items):  # feedgen prepends: add oldest first to list newest first
        _add_item(feed, settings, episode)
    return feed.rss_str(pretty=False)  # type: ignore[no-any-return]


def sermon_page(settings: Settings, content_id: str) -> str:
    """The sermon's page for people (a podcast app's "open in browser"), not the API's JSON."""
    return f"{settings.public_base_url.rstrip('/')}/library/{content_id}"


def _category(text: str) -> dict[str, str]:
    """ "Religion & Spirituality > Christianity" as Apple's nested category and subcategory."""
    main, _, sub = (part.strip() for part in text.partition(">"))
    return {"cat": main, "sub": sub} if sub else {"cat": main}


def _add_item(feed: FeedGenerator, settings: Settings, episode: Episode) -> None:
    content = episode.content
    entry = feed.add_entry()
    entry.guid(f"urn:uuid:{content.id}", permalink=False)  # stable across titles and generations
    entry.title(content.title)
    entry.description(content.description or content.title)
    entry.link(href=sermon_page(settings, content.id))
    entry.pubDate(content.published_at)
    entry.enclosure(public_url(settings, episode.mp3.key), str(episode.mp3.bytes), "audio/mpeg")
    if content.duration:
        entry.podcast.itunes_duration(int(round(content.duration)))
    if content.speaker:
        entry.podcast.itunes_author(content.speaker)
    entry.podcastindex.explicit(False)
    scripture = ", ".join(ref.get("text", "") for ref in content.scripture or [] if ref.get("text"))
    if scripture:
        entry.podcast.itunes_subtitle(scripture)
    for captions in episode.captions:
        kind = captions.key.rsplit(".", 1)[-1].lower()
        entry.podcastindex.transcript(
            public_url(settings, captions.key),
            CAPTION_TYPES.get(kind, captions.mime_type),
            language=captions.language or content.language,
            rel="captions",
        )
