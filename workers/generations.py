"""Retiring old generations: once a new generation is live, the older ones' objects and Asset rows
go, after a grace period so a listener who pressed play before the switch can finish."""

from __future__ import annotations

import logging

from sqlalchemy import delete, select

from models import Asset, Content
from pipelines.storage import storage_from_settings
from pipelines.storage.cdn import stable_paths
from settings import get_settings
from workers.cdn_invalidation import request_invalidation
from workers.db import session_scope
from workers.outputs import generation_prefix

__all__ = ["cleanup_generations"]

log = logging.getLogger(__name__)


def _generation_of(key: str) -> int | None:
    # media/{id}/g{n}/...
    parts = key.split("/")
    if len(parts) > 2 and parts[2].startswith("g") and parts[2][1:].isdigit():
        return int(parts[2][1:])
    return None


def cleanup_generations(content_id: str, live: int) -> int:
    """Delete every generation of the content older than `live` (the one serving now), if `live`
    is still the live one; returns the number of objects deleted. Idempotent."""
    settings = get_settings()
    with session_scope() as session:
        content = session.get(Content, content_id)
        if content is None or content.live_generation != live:
            return 0  # deleted, or switched again: the newer switch cleans up
        old_keys = session.scalars(
            select(Asset.key).where(Asset.content_id == content_id, Asset.generation < live)
        ).all()
    storage = storage_from_settings(settings)
    keys = storage.list_keys(f"media/{content_id}/")
    old = sorted({g for k in keys if (g := _generation_of(k)) is not None and g < live})
    deleted = 0
    for generation in old:
        deleted += storage.delete_prefix(generation_prefix(content_id, generation) + "/")
    with session_scope() as session:
        session.execute(
            delete(Asset).where(Asset.content_id == content_id, Asset.generation < live)
        )
    # CDN copies of the old stable URLs (playlists, captions, posters) go too.
    paths = []
    for key in old_keys:
        key_generation = _generation_of(key)
        if key_generation is not None:
            prefix = generation_prefix(content_id, key_generation) + "/"
            paths += stable_paths(content_id, key_generation, [key.removeprefix(prefix)])
    request_invalidation(paths, content_id)
    log.info("content %s: generations %s retired (%d objects)", content_id, old, deleted)
    return deleted
