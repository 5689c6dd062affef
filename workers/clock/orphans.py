"""Remove objects no row owns (run by the clock, hourly): what a crash left between a content's
delete and the removal of its objects, or between a step's last write and its end.

Each top-level folder of storage belongs to a kind of row: `media/{content id}/`,
`sources/{content id}/`, `series/{series id}/` (artwork), `community/posts/{post id}/` (images),
`playlists/{playlist id}/` (covers), `recordings/{live session id}/`. A folder whose id has no
row, and that no content's source key points into, is deleted once its newest object is older
than `orphan_grace_s`: a folder written a moment ago may belong to a row not yet committed.
Nothing outside these folders is touched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Content, LiveSession, Playlist, Post, Series, utcnow
from pipelines.storage import Storage, storage_from_settings
from pipelines.storage.content_objects import SOURCES_PREFIX
from settings import get_settings
from workers.db import session_scope

__all__ = ["OWNERS", "OrphanReport", "sweep_orphans"]

log = logging.getLogger(__name__)

# Ids asked about in one statement.
BATCH = 500


class Owner(NamedTuple):
    """`{prefix}{id}/` belongs to the row whose `id_column` is `id`."""

    prefix: str
    id_column: Any


# The keys as the API and the workers write them (pipelines/storage/delivery.py content_prefix,
# api/series/artwork.py, api/community/service.py, workers/live.py).
OWNERS: tuple[Owner, ...] = (
    Owner("media/", Content.id),
    Owner(SOURCES_PREFIX, Content.id),
    Owner("series/", Series.id),
    Owner("community/posts/", Post.id),
    Owner("playlists/", Playlist.id),  # covers (api/playlists/cover.py)
    Owner("recordings/", LiveSession.id),
)


class OrphanReport(msgspec.Struct):
    removed: list[str] = msgspec.field(default_factory=list)  # the folders deleted
    young: list[str] = msgspec.field(default_factory=list)  # unowned, within the grace period


def _owned(session: Session, owner: Owner, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        found.update(session.scalars(select(owner.id_column).where(owner.id_column.in_(batch))))
    return found


def _referenced(session: Session, folders: Iterable[str]) -> set[str]:
    """The folders some content takes its source from (a live recording's file)."""
    referenced: set[str] = set()
    for folder in folders:
        query = select(Content.id).where(Content.source_key.startswith(folder, autoescape=True))
        if session.scalars(query.limit(1)).first() is not None:
            referenced.add(folder)
    return referenced


def _unowned(storage: Storage, owner: Owner) -> list[str]:
    folders = {
        folder[len(owner.prefix) :].rstrip("/"): folder
        for folder in storage.list_prefixes(owner.prefix)
    }
    if not folders:
        return []
    with session_scope() as session:
        owned = _owned(session, owner, list(folders))
        candidates = [folder for id_, folder in folders.items() if id_ not in owned]
        return sorted(set(candidates) - _referenced(session, candidates))


def sweep_orphans() -> OrphanReport:
    """One sweep; idempotent, safe to run from any number of clocks at once."""
    settings = get_settings()
    storage = storage_from_settings(settings)
    cutoff = utcnow() - timedelta(seconds=settings.orphan_grace_s)
    report = OrphanReport()
    for owner in OWNERS:
        for folder in _unowned(storage, owner):
            newest = storage.newest_change(folder)
            if newest is not None and newest > cutoff:
                report.young.append(folder)
                continue
            storage.delete_prefix(folder)
            report.removed.append(folder)
    if report.removed:
        log.info("removed %d folders no row owns", len(report.removed))
    return report
