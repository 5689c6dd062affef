"""The orchestrator: enqueue every step of a plan whose dependencies succeeded, and none twice.

It runs after every step, so it works on the job and content rows with plain SQL, and the
decision itself (`decide`) is a pure function of those rows and the content's plan.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

import dramatiq
from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import FINISHED, Content, Job, new_id, table_of, utcnow
from pipelines.chunks import ChunkRule, chunk_count
from pipelines.plans import ON_REQUEST, READY_STEP, StepSpec, edit_of, plan_for
from settings import get_settings
from workers import messages
from workers.added_tracks import plan_added_track, replaces_live, tracks_pending
from workers.db import autocommit, transaction
from workers.jobs import announce

log = logging.getLogger(__name__)

CONTENT = table_of(Content)
JOBS = table_of(Job)
# A content moves on while processing, and when a later (optional) step of a done one ends.
ADVANCING = ("processing", "ready", "failed")
STOPPING = ("failed", "dead", "cancelled")
# A step skipped for want of a provider lets what waits for it go on.
DONE = ("succeeded", "skipped")


class JobState(NamedTuple):
    step: str
    status: str
    error: str | None
    chunk: int = 0  # a chunk's job of a chunked step; 0 for the step's whole job


class Planned(NamedTuple):
    """A job to insert: a step, or one chunk of a chunked step."""

    spec: StepSpec
    chunk: int = 0


class Decision(NamedTuple):
    status: str | None  # the content's new status, when it changes
    error: str | None
    to_plan: list[Planned]


class Outcome(NamedTuple):
    """What an advance decided, carried out by `carry_out` once its transaction committed."""

    content_id: str
    status: str | None = None
    messages: tuple[dramatiq.Message[Any], ...] = ()
    new_live_generation: int | None = None  # set when a newer generation replaced a live one
    # A live recording set to trim itself has a whole generation to find its sermon in.
    trim_itself: bool = False


def decide(
    status: str,
    media_type: Any,
    jobs: list[JobState],
    kind: str | None = None,
    range_start_s: float | None = None,
    duration: float | None = None,
    chunking: ChunkRule | None = None,
) -> Decision:
    """The content's next status and the steps to plan now, from its current generation's jobs.
    An edited content's plan starts with its edit step (a trim, a clip's render).

    A chunked step of a long enough content (`chunking`) is planned as its chunks' jobs first,
    then, once every chunk is done, as its whole job, which joins them: only that job's success
    is the step's, so what waits for the step waits for every chunk. A chunk that stops stops
    the content, as any step does.
    """
    plan = plan_for(media_type, edit_of(kind, range_start_s), kind)
    optional = {spec.name for spec in (*plan, *ON_REQUEST) if spec.optional}
    whole = [job for job in jobs if not job.chunk]
    by_step = {job.step: job for job in whole}
    succeeded = {job.step for job in whole if job.status in DONE}
    # A cancelled step stops its content too: nothing after it can run until it is retried.
    stopped = [j for j in jobs if j.status in STOPPING and j.step not in optional]
    new_status, error = None, None
    if stopped and status != "failed":
        first = stopped[0]
        which = f"{first.step} chunk {first.chunk}" if first.chunk else first.step
        new_status, error = "failed", f"{which}: {first.error or 'failed'}"
    ready = by_step.get(READY_STEP)
    if ready is not None and ready.status == "succeeded" and status == "processing":
        new_status, error = "ready", None
    if (new_status or status) == "failed":
        return Decision(new_status, error, [])
    to_plan: list[Planned] = []
    for spec in plan:
        if spec.name in by_step or not all(dep in succeeded for dep in spec.after):
            continue
        count = chunk_count(duration, chunking) if spec.chunked and chunking else 0
        chunks = [job for job in jobs if job.step == spec.name and job.chunk]
        if not count and not chunks:
            to_plan.append(Planned(spec))
        elif not chunks:
            to_plan += [Planned(spec, number) for number in range(1, count + 1)]
        elif all(job.status in DONE for job in chunks):
            to_plan.append(Planned(spec))  # the whole job: it joins the chunks
    return Decision(new_status, error, to_plan)


class ContentState(NamedTuple):
    """A content's row and its current generation's jobs, read under the content's lock."""

    status: str
    generation: int
    live_generation: int | None
    media_type: Any
    jobs: list[JobState]
    kind: str | None = None
    range_start_s: float | None = None
    auto_trim: str | None = None
    duration: float | None = None

    def with_finished(self, step: str, status: str = "succeeded", chunk: int = 0) -> ContentState:
        jobs = [
            j._replace(status=status) if j.step == step and j.chunk == chunk else j
            for j in self.jobs
        ]
        return self._replace(jobs=jobs)


# FOR UPDATE serialises two workers finishing steps of one content at once; in id order, so two
# writers locking several contents never wait on each other in a circle.
_LOCK_CONTENTS = (
    select(
        CONTENT.c.id,
        CONTENT.c.status,
        CONTENT.c.generation,
        CONTENT.c.live_generation,
        CONTENT.c.media_type,
        CONTENT.c.kind,
        CONTENT.c.range_start_s,
        CONTENT.c.auto_trim,
        CONTENT.c.duration,
    )
    .where(CONTENT.c.id.in_(bindparam("content_ids", expanding=True)))
    .order_by(CONTENT.c.id)
    .with_for_update()
)
_CURRENT_JOBS = (
    select(JOBS.c.content_id, JOBS.c.step, JOBS.c.status, JOBS.c.error, JOBS.c.chunk)
    .join(
        CONTENT, (CONTENT.c.id == JOBS.c.content_id) & (JOBS.c.generation == CONTENT.c.generation)
    )
    .where(CONTENT.c.id.in_(bindparam("content_ids", expanding=True)))
)


def lock_contents(connection: Connection, content_ids: list[str]) -> dict[str, ContentState]:
    """Lock the contents' rows, then read each with its current generation's jobs.

    Two statements, not one: a statement reads from the snapshot it started with, so jobs read
    in the statement that waited for the lock could predate the success of the step whose
    transaction held it, and neither finisher would see both steps done.
    """
    params = {"content_ids": content_ids}
    states = {
        row.id: ContentState(
            row.status,
            row.generation,
            row.live_generation,
            row.media_type,
            [],
            row.kind,
            row.range_start_s,
            row.auto_trim,
            row.duration,
        )
        for row in connection.execute(_LOCK_CONTENTS, params)
    }
    for row in connection.execute(_CURRENT_JOBS, params):
        states[row.content_id].jobs.append(JobState(row.step, row.status, row.error, row.chunk))
    return states


def lock_content(connection: Connection, content_id: str) -> ContentState | None:
    return lock_contents(connection, [content_id]).get(content_id)


def advance_locked(
    connection: Connection, content_id: str, content: ContentState | None
) -> Outcome:
    """Settle the content's status and plan its ready steps, inside the caller's transaction
    (which holds the content's row lock)."""
    if content is None or content.status not in ADVANCING:
        return Outcome(content_id)
    decision = decide(
        content.status,
        content.media_type,
        content.jobs,
        content.kind,
        content.range_start_s,
        content.duration,
        ChunkRule.from_settings(get_settings()),
    )
    held = decision.status == "ready" and replaces_live(content)
    if held and tracks_pending(connection, content_id, content):
        # The generation being replaced serves every added language: it stays live until this
        # one has them too (their jobs are planned below, one at a time).
        decision = decision._replace(status=None)
    replaced = None
    if decision.status is not None:
        values: dict[str, Any] = {"status": decision.status, "error": decision.error}
        if decision.status == "ready":
            values["live_generation"] = content.generation
            if replaces_live(content):
                replaced = content.generation
        connection.execute(update(CONTENT).where(CONTENT.c.id == content_id).values(**values))
    planned = _plan(connection, content_id, content.generation, decision.to_plan)
    trim_itself = not planned and _ready_to_trim_itself(content, decision.status or content.status)
    planned += plan_added_track(connection, content_id, content, decision.status or content.status)
    return Outcome(content_id, decision.status, tuple(planned), replaced, trim_itself)


def _ready_to_trim_itself(content: ContentState, status: str) -> bool:
    """A whole, ready recording set to trim itself, whose every step (transcript and speech
    profile included) has finished: the sermon suggestion has all it will get."""
    if content.kind != "recording" or not content.auto_trim or content.range_start_s is not None:
        return False
    if status != "ready":
        return False
    finished = {job.step for job in content.jobs if job.status in FINISHED}
    return all(spec.name in finished for spec in plan_for(content.media_type, None, content.kind))


def _plan(
    connection: Connection, content_id: str, generation: int, jobs: list[Planned]
) -> list[dramatiq.Message[Any]]:
    """Insert a queued Job row per step (or chunk), naming the message that will be sent for it."""
    if not jobs:
        return []
    max_attempts = get_settings().job_max_attempts
    planned = []
    for spec, chunk in jobs:
        job_id = new_id()
        message = messages.message(spec.name, job_id)
        row = {
            "id": job_id,
            "content_id": content_id,
            "step": spec.name,
            "generation": generation,
            "chunk": chunk,
            "queue": spec.queue,
            "status": "queued",
            "attempts": 0,
            "max_attempts": max_attempts,
            "progress": 0.0,
            "message_id": message.message_id,
            "queued_at": utcnow(),
        }
        # A savepoint per insert: the unique (content, step, generation, chunk) key is the last
        # word on "never twice", even if two orchestrators race past the lock (SQLite).
        try:
            with connection.begin_nested():
                connection.execute(insert(JOBS).values(**row))
        except IntegrityError:
            continue
        planned.append(message)
    return planned


def carry_out(outcome: Outcome) -> list[str]:
    """After the commit: announce the content's new status, send the planned steps' messages.

    A message lost here (the process died) leaves its row `queued`: the sweeper sends it again.
    """
    if outcome.status:
        announce(outcome.content_id, {"type": "content", "status": outcome.status})
    if outcome.messages:
        for message in outcome.messages:
            messages.enqueue(message)
            log.info(
                "job %s (%s) sent as %s", message.args[0], message.actor_name, message.message_id
            )
    if outcome.trim_itself:
        messages.send("auto_trim", outcome.content_id)
    if outcome.new_live_generation is not None:
        # The generations it replaced go after a grace period, so a listener who pressed play
        # before the switch can finish (workers.generations).
        grace_ms = int(get_settings().old_generation_grace_s * 1000)
        messages.send(
            "cleanup_generation", outcome.content_id, outcome.new_live_generation, delay_ms=grace_ms
        )
    return [message.actor_name for message in outcome.messages]


def advance_content(content_id: str) -> list[str]:
    """Enqueue the ready steps of a content; returns the names of the steps sent."""
    with transaction() as connection:
        outcome = advance_locked(connection, content_id, lock_content(connection, content_id))
    return carry_out(outcome)


def send_job(job_id: str, step: str) -> str:
    """Send a job's message; returns its id.

    The id is written to the row before the message goes out, so a worker never sees a message
    its row does not name, and a message the row no longer names is known to be stale. If the
    process dies between the two, the row stays `queued` and the sweeper sends it again.
    """
    message = messages.message(step, job_id)
    with autocommit() as connection:
        connection.execute(
            update(JOBS)
            .where(JOBS.c.id == job_id)
            .values(message_id=message.message_id, queued_at=utcnow())
        )
    messages.enqueue(message)
    log.info("job %s (%s) sent as %s", job_id, step, message.message_id)
    return message.message_id


def start_generation(session: Session, content: Content) -> None:
    """Begin processing a content's current source as a new generation (caller commits)."""
    content.generation = (content.generation or 0) + 1
    content.status = "processing"
    content.error = None
    content.updated_at = utcnow()
