"""A chunked encode's playlists grow while it runs: each chunk's success lists, in the video
playlists players already have, every chunk done so far from the first with no gap.

Without this the first chunk's segments were all a player saw until the join, after the last
chunk: on a 60-minute video and two workers, a listener two minutes in waited most of an hour.
It runs inside the transaction that records the chunk's success, which holds the content's
lock, so successes are listed one after another and a playlist never loses a segment. What it
writes is a courtesy: if storage fails, the chunk's success stands and the join lists all.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from sqlalchemy import Connection, select

from models import Job, table_of
from pipelines.media.chunk_join import ChunkOutput, grown_playlists
from settings import get_settings
from workers.clients import shared_storage

__all__ = ["grow_playlists"]

log = logging.getLogger(__name__)
JOBS = table_of(Job)


def _done_chunks(connection: Connection, content_id: str, step: str, generation: int) -> list[Any]:
    rows = connection.execute(
        select(JOBS.c.chunk, JOBS.c.result).where(
            JOBS.c.content_id == content_id,
            JOBS.c.step == step,
            JOBS.c.generation == generation,
            JOBS.c.chunk > 0,
            JOBS.c.status == "succeeded",
        )
    ).all()
    # A still picture's later chunks are skipped and describe nothing.
    return [row for row in rows if ((row.result or {}).get("data") or {}).get("chunk")]


def grow_playlists(
    connection: Connection, content_id: str, step: str, generation: int, prefix: str
) -> None:
    """Write the video playlists under `prefix` (the generation's) as far as the chunks done
    so far reach (nothing while only the first is done: it published its own)."""
    rows = _done_chunks(connection, content_id, step, generation)
    by_number = {row.chunk: row.result["data"] for row in rows}
    if 1 not in by_number or len(by_number) < 2:
        return
    rungs = [rung["name"] for rung in by_number[1].get("rungs", [])]
    outputs = [msgspec.convert(data["chunk"], ChunkOutput) for data in by_number.values()]
    playlists = grown_playlists(outputs, rungs)
    if not playlists:
        return
    storage = shared_storage(get_settings()).scoped(prefix)
    try:
        for rung, text in playlists.items():
            storage.put_bytes(f"hls/{rung}/index.m3u8", text.encode(), live=True)
    except Exception:  # noqa: BLE001 - the join writes every playlist anyway
        log.warning("content %s: its playlists did not grow", content_id, exc_info=True)
