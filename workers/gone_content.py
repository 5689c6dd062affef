"""A content deleted while one of its steps ran: what the step wrote after the delete removed
the content's objects is removed here, when the step ends.

The API deletes the rows, commits, then deletes the objects. A step asks whether its content is
still there after its last write: if it is, the delete has not committed yet and its object
removal comes after that write; if not, the step's writes may have landed after the removal,
and they are this step's to remove. What a worker killed in between leaves, the clock's orphan
sweep removes (workers/clock/orphans.py).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from models import Content
from pipelines.storage import Storage
from pipelines.storage.content_objects import delete_content_objects
from settings import get_settings
from workers.db import autocommit
from workers.source_cache import forget_content_sources

log = logging.getLogger(__name__)


def content_exists(content_id: str) -> bool:
    with autocommit() as connection:
        found = connection.execute(select(Content.id).where(Content.id == content_id)).first()
    return found is not None


def remove_if_gone(storage: Storage, content_id: str) -> int:
    """Delete every object of the content if its row is gone; how many objects went.

    Never raises: the step's own outcome matters more, and the orphan sweep removes what a
    failure here leaves."""
    try:
        if content_exists(content_id):
            return 0
        removed = delete_content_objects(storage, content_id)
        forget_content_sources(get_settings(), content_id)  # this machine's copies of them
    except Exception:
        log.warning("could not remove the objects of deleted content %s", content_id, exc_info=True)
        return 0
    if removed:
        log.info("removed %d objects a step wrote for deleted content %s", removed, content_id)
    return removed
