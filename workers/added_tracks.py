"""Audio tracks added to a video after it was made: which one the live generation gets next,
what its job reads, and whether its success may be recorded.

The orchestrator calls `plan_added_track` under the content's row lock on every advance. A
ready video whose live generation has finished every step of its plan (or a new generation
about to replace it, likewise finished) gets one `add_audio_track` job for the first stored
track that generation lacks. One at a time: each
job writes the master with the tracks added before it, so two running at once would each leave
the other out. So a new generation (a reprocess, a new source, a trim) gets every stored track
again, one after the other, without anyone asking, and before it goes live: no listener meets
its master without them. The generation it replaces (with every track) is
served until then; the orchestrator holds the switch while `tracks_pending`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import dramatiq
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import FINISHED, AddedTrack, Content, Job, new_id, table_of, utcnow
from pipelines.context import StepResult
from pipelines.media.added_track import STEP
from pipelines.media.video import MASTER_KEY
from pipelines.plans import STEPS, edit_of, plan_for
from pipelines.storage.errors import ObjectMissing
from settings import get_settings
from workers import messages
from workers.cdn_invalidation import request_invalidation

if TYPE_CHECKING:
    from workers.inputs import StepInputs

__all__ = [
    "STEP",
    "UNFINISHED",
    "keep_added_tracks",
    "plan_added_track",
    "replaces_live",
    "track_recording_key",
    "tracks_pending",
]

JOBS = table_of(Job)
ADDED_TRACKS = table_of(AddedTrack)
UNFINISHED = ("queued", "running")


class JobLike(Protocol):
    @property
    def step(self) -> str: ...
    @property
    def status(self) -> str: ...


class ContentLike(Protocol):
    """What the orchestrator read of the content under its lock (its `ContentState`; named by
    shape here, as the orchestrator imports this module)."""

    @property
    def generation(self) -> int: ...
    @property
    def live_generation(self) -> int | None: ...
    @property
    def media_type(self) -> Any: ...
    @property
    def kind(self) -> str | None: ...
    @property
    def range_start_s(self) -> float | None: ...
    @property
    def jobs(self) -> Sequence[JobLike]: ...


def replaces_live(content: ContentLike) -> bool:
    """The content's generation is a new one of a video already served (a reprocess, a new
    source, a trim)."""
    return content.live_generation not in (None, content.generation)


def _generation_settled(content: ContentLike, status: str) -> bool:
    """The generation is the live one of a ready video, or one about to replace it, and none
    of its plan's steps is still to run (captions rewrite the master too: a track added after
    them is kept by them)."""
    if content.media_type != "video":
        return False
    if status != "ready" and not (status == "processing" and replaces_live(content)):
        return False
    plan = plan_for(content.media_type, edit_of(content.kind, content.range_start_s), content.kind)
    finished = {job.step for job in content.jobs if job.status in FINISHED}
    if not all(spec.name in finished for spec in plan):
        return False
    return not any(job.step == STEP and job.status in UNFINISHED for job in content.jobs)


def plan_added_track(
    connection: Connection, content_id: str, content: ContentLike, status: str
) -> list[dramatiq.Message[Any]]:
    """Insert the next added track's job on the content's generation, if it is time; returns
    the message to send once the caller's transaction commits (none, or one)."""
    if not _generation_settled(content, status):
        return []
    tracks = connection.execute(
        select(ADDED_TRACKS.c.language, ADDED_TRACKS.c.status)
        .where(ADDED_TRACKS.c.content_id == content_id)
        .order_by(ADDED_TRACKS.c.created_at, ADDED_TRACKS.c.language)
    ).all()
    if any(track.status == "removing" for track in tracks):
        return []  # the removal writes the master; the next advance after it goes on
    added = set(
        connection.scalars(
            select(JOBS.c.track).where(
                JOBS.c.content_id == content_id,
                JOBS.c.step == STEP,
                JOBS.c.generation == content.generation,
            )
        )
    )
    missing = next((t.language for t in tracks if t.language not in added), None)
    if missing is None:
        return []
    job_id = new_id()
    message = messages.message(STEP, job_id)
    row = {
        "id": job_id,
        "content_id": content_id,
        "step": STEP,
        "generation": content.generation,
        "track": missing,
        "queue": STEPS[STEP].queue,
        "status": "queued",
        "attempts": 0,
        "max_attempts": get_settings().job_max_attempts,
        "progress": 0.0,
        "message_id": message.message_id,
        "queued_at": utcnow(),
    }
    try:
        with connection.begin_nested():  # the unique key has the last word on "never twice"
            connection.execute(insert(JOBS).values(**row))
    except IntegrityError:
        return []
    return [message]


def tracks_pending(connection: Connection, content_id: str, content: ContentLike) -> bool:
    """Whether a stored track is not on the content's generation yet: no job of it there, or
    one still to finish (one that failed is done: a track is optional)."""
    stored = set(
        connection.scalars(
            select(ADDED_TRACKS.c.language).where(
                ADDED_TRACKS.c.content_id == content_id, ADDED_TRACKS.c.status == "active"
            )
        )
    )
    if not stored:
        return False
    finished = set(
        connection.scalars(
            select(JOBS.c.track).where(
                JOBS.c.content_id == content_id,
                JOBS.c.step == STEP,
                JOBS.c.generation == content.generation,
                JOBS.c.status.not_in(UNFINISHED),
            )
        )
    )
    return bool(stored - finished)


def track_recording_key(inputs: StepInputs) -> str:
    """The object an `add_audio_track` job reads: its track's recording, not the video's
    upload. A track removed while its job waited has none, and the job fails saying so."""
    if not inputs.track_source_key:
        raise ObjectMissing(f"the {inputs.track!r} track was removed before it could be added")
    return inputs.track_source_key


def keep_added_tracks(session: Session, content: Content, result: StepResult) -> None:
    """The store hook of an `add_audio_track` success, under the content's lock: if another
    track's job succeeded while this one ran (an admin's retry runs beside the planned one),
    the master this one wrote leaves it out, so the step runs again, now seeing it (Dramatiq's
    Retry: the success is not recorded and the message comes back). Otherwise the CDN is asked
    to forget the master it rewrote."""
    written = {v.get("language") for v in result.data.get("variants", []) if v.get("group_id")}
    own = (result.data.get("track") or {}).get("language")
    succeeded = session.scalars(
        select(Job.track).where(
            Job.content_id == content.id,
            Job.step == STEP,
            Job.generation == content.generation,
            Job.status == "succeeded",
            Job.track != own,
        )
    )
    missing = sorted(set(succeeded) - written)
    if missing:
        raise dramatiq.Retry(f"the {', '.join(missing)} track was added meanwhile; adding again")
    master = result.data.get("master_key") or MASTER_KEY
    request_invalidation([f"/media/{content.id}/g{content.generation}/{master}"], content.id)
