"""The objects a content owns, by key: its media (every generation) under `media/{id}/` and its
uploaded sources under `sources/{id}/`; removed together when the content is."""

from __future__ import annotations

from pipelines.storage.delivery import content_prefix
from pipelines.storage.objects import Storage

SOURCES_PREFIX = "sources/"


def source_prefix(content_id: str) -> str:
    return f"{SOURCES_PREFIX}{content_id}/"


def content_prefixes(content_id: str) -> tuple[str, str]:
    return content_prefix(content_id), source_prefix(content_id)


def delete_content_objects(storage: Storage, content_id: str, source_key: str | None = None) -> int:
    """Delete every object of the content; `source_key` too, as a source taken from elsewhere
    (a live recording) lives outside its prefixes. Returns how many objects went."""
    deleted = sum(storage.delete_prefix(prefix) for prefix in content_prefixes(content_id))
    if source_key and not source_key.startswith(source_prefix(content_id)):
        storage.delete(source_key)
        deleted += 1
    return deleted
