"""Which CDN paths a published change touches, and asking the CDN to drop them.

Goes through the batching queue of workers/cdn_invalidation.py when it exists, else straight to
CloudFront; nothing to do without a distribution.
"""

from __future__ import annotations

import importlib
import uuid

from pipelines.storage.cdn import create_invalidation
from settings import Settings

ALL_FEED_PATH = "/api/v1/feed.xml"
CATALOG_PATHS = "/api/v1/catalog*"


def feed_paths(series_id: str | None) -> list[str]:
    """The listing URLs a change of one content touches: the all-sermons feed, its series' feed,
    and the catalog's pages (which a CDN keeps for a few seconds)."""
    paths = [ALL_FEED_PATH, CATALOG_PATHS]
    if series_id:
        paths.append(f"/api/v1/series/{series_id}/feed.xml")
    return paths


def invalidate_now(settings: Settings, paths: list[str]) -> None:
    try:
        request = getattr(
            importlib.import_module("workers.cdn_invalidation"), "request_invalidation", None
        )
    except ImportError:
        request = None
    if request is not None:
        request(paths)
    elif settings.cloudfront_distribution_id:
        create_invalidation(settings, paths, f"api-{uuid.uuid4().hex}")
