"""A podcast feed as an HTTP answer: validators, caching, and 304 when the client's copy holds."""

from __future__ import annotations

from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from litestar import Request, Response

from api.series.feeds import Channel, Episode, render_feed, validators
from settings import Settings

RSS = "application/rss+xml; charset=utf-8"
# Podcast apps poll every few minutes to hours; the CDN keeps a copy this long, and publishing
# invalidates it at once.
FEED_CACHE = "public, max-age=300"


def feed_response(
    request: Request[Any, Any, Any], settings: Settings, channel: Channel, items: list[Episode]
) -> Response[bytes]:
    etag, last_modified = validators(channel, items)
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(last_modified, usegmt=True),
        "Cache-Control": FEED_CACHE,
    }
    if not_modified(request, etag, last_modified):
        return Response(b"", status_code=304, headers=headers, media_type=RSS)
    return Response(render_feed(settings, channel, items), headers=headers, media_type=RSS)


def not_modified(request: Request[Any, Any, Any], etag: str, last_modified: Any) -> bool:
    """RFC 9110 §13.1: If-None-Match wins; If-Modified-Since counts only without it."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return last_modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False
