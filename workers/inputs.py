"""What a step reads from the database before it runs: earlier results, metadata, the source."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import Select, bindparam, select

from models import AddedTrack, Content, Job, Series, table_of
from pipelines.context import ContentMetadata, StepResult, result_name

CONTENT = table_of(Content)
JOBS = table_of(Job)
SERIES = table_of(Series)
ADDED_TRACKS = table_of(AddedTrack)
PARENT = CONTENT.alias("parent")


class StepInputs(NamedTuple):
    content_id: str
    generation: int
    source_key: str | None
    metadata: ContentMetadata
    # Results of the generation's succeeded steps, by step name.
    previous: dict[str, StepResult]
    # A clip has no upload of its own: it is rendered from its parent's.
    parent_source_key: str | None = None
    # An `add_audio_track` job: the track's language, and its recording (None once removed).
    track: str = ""
    track_source_key: str | None = None
    # A chunked step: this job's chunk (0: the whole step), and for the whole job, its chunks'
    # results by number (they are not in `previous`, which holds whole steps only).
    chunk: int = 0
    chunks: dict[int, StepResult] = {}  # noqa: RUF012  (a NamedTuple default, never mutated)


def inputs_from_rows(rows: Sequence[Any]) -> StepInputs:
    """One job's inputs from rows labelled as `load_query` labels them (one row per earlier
    result, or one row with none)."""
    first = rows[0]
    previous = {
        result_name(row.earlier_step, row.earlier_track): msgspec.convert(
            row.earlier_result or {}, StepResult
        )
        for row in rows
        if row.earlier_step is not None and not row.earlier_chunk
    }
    chunks = {
        row.earlier_chunk: msgspec.convert(row.earlier_result or {}, StepResult)
        for row in rows
        if row.earlier_step == first.step and row.earlier_chunk and not first.chunk
    }
    metadata = ContentMetadata(
        title=first.title,
        speaker=first.speaker,
        series=first.series_title or "",
        description=first.description,
        # A track's job is in the track's language, whatever the content's own.
        language=first.track or first.language,
        recorded_date=first.recorded_date.isoformat() if first.recorded_date else "",
        range_start_s=first.range_start_s,
        range_end_s=first.range_end_s,
        edit=first.edit,
    )
    return StepInputs(
        first.content_id,
        first.generation,
        first.source_key,
        metadata,
        previous,
        first.parent_source_key,
        first.track,
        first.track_source_key,
        chunk=first.chunk,
        chunks=chunks,
    )


def _load_query() -> Select[Any]:
    earlier = JOBS.alias("earlier")
    return (
        select(
            JOBS.c.generation,
            JOBS.c.step,
            JOBS.c.chunk,
            JOBS.c.track,
            ADDED_TRACKS.c.source_key.label("track_source_key"),
            CONTENT.c.id.label("content_id"),
            CONTENT.c.title,
            CONTENT.c.speaker,
            CONTENT.c.description,
            CONTENT.c.language,
            CONTENT.c.recorded_date,
            CONTENT.c.source_key,
            CONTENT.c.range_start_s,
            CONTENT.c.range_end_s,
            CONTENT.c.edit,
            PARENT.c.source_key.label("parent_source_key"),
            SERIES.c.title.label("series_title"),
            earlier.c.step.label("earlier_step"),
            earlier.c.result.label("earlier_result"),
            earlier.c.chunk.label("earlier_chunk"),
            earlier.c.track.label("earlier_track"),
        )
        .join(CONTENT, CONTENT.c.id == JOBS.c.content_id)
        .outerjoin(SERIES, SERIES.c.id == CONTENT.c.series_id)
        .outerjoin(PARENT, PARENT.c.id == CONTENT.c.parent_id)
        .outerjoin(
            ADDED_TRACKS,
            (ADDED_TRACKS.c.content_id == JOBS.c.content_id)
            & (ADDED_TRACKS.c.language == JOBS.c.track),
        )
        .outerjoin(
            earlier,
            (earlier.c.content_id == JOBS.c.content_id)
            & (earlier.c.generation == JOBS.c.generation)
            & (earlier.c.status == "succeeded"),
        )
        .where(JOBS.c.id == bindparam("job_id"))
    )


LOAD = _load_query()
