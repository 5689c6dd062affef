"""The orchestrator: enqueue every step of a plan whose dependencies succeeded, and none twice."""

from __future__ import annotations

import logging

import dramatiq
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Content, Job, utcnow
from pipelines.plans import READY_STEP, plan_for
from settings import get_settings
from workers.db import session_scope
from workers.jobs import announce

log = logging.getLogger(__name__)


def _lock_content(session: Session, content_id: str) -> Content | None:
    # FOR UPDATE serialises two workers finishing steps of one content at the same moment.
    return session.scalars(
        select(Content).where(Content.id == content_id).with_for_update()
    ).first()


def plan_new_jobs(session: Session, content: Content) -> list[Job]:
    """Insert Job rows for the ready steps of the content's current generation."""
    jobs = session.scalars(
        select(Job).where(Job.content_id == content.id, Job.generation == content.generation)
    ).all()
    by_step = {job.step: job for job in jobs}
    succeeded = {s for s, j in by_step.items() if j.status == "succeeded"}
    new: list[Job] = []
    for spec in plan_for(content.media_type):  # type: ignore[arg-type]
        if spec.name in by_step or not all(dep in succeeded for dep in spec.after):
            continue
        job = Job(
            content_id=content.id,
            step=spec.name,
            generation=content.generation,
            queue=spec.queue,
            status="queued",
            max_attempts=get_settings().job_max_attempts,
        )
        # A savepoint per insert: the unique (content, step, generation) constraint is the last
        # word on "never twice", even if two orchestrators race past the lock (SQLite).
        try:
            with session.begin_nested():
                session.add(job)
        except IntegrityError:
            continue
        new.append(job)
    return new


def settle_content(session: Session, content: Content) -> str | None:
    """Derive the content's status from its jobs; returns the new status when it changed."""
    jobs = session.scalars(
        select(Job).where(Job.content_id == content.id, Job.generation == content.generation)
    ).all()
    by_step = {job.step: job for job in jobs}
    # A cancelled step stops its content too: nothing after it can run until it is retried.
    failed = [
        j
        for j in jobs
        if j.status in ("failed", "dead", "cancelled") and not _optional(content, j.step)
    ]
    new_status = None
    if failed and content.status != "failed":
        new_status = "failed"
        content.error = f"{failed[0].step}: {failed[0].error or 'failed'}"
    ready = by_step.get(READY_STEP)
    if ready is not None and ready.status == "succeeded" and content.status == "processing":
        new_status = "ready"
        content.live_generation = content.generation
        content.error = None
    if new_status:
        content.status = new_status
    return new_status


def _optional(content: Content, step: str) -> bool:
    for spec in plan_for(content.media_type):  # type: ignore[arg-type]
        if spec.name == step:
            return spec.optional
    return False


def advance_content(content_id: str) -> list[str]:
    """Enqueue the ready steps of a content; returns the names of the steps sent."""
    with session_scope() as session:
        content = _lock_content(session, content_id)
        if content is None or content.status not in ("processing", "ready", "failed"):
            return []
        was_live = content.live_generation
        changed = settle_content(session, content)
        switched = was_live is not None and content.live_generation != was_live
        new_jobs = plan_new_jobs(session, content) if content.status != "failed" else []
        session.flush()
        sent = [(job.id, job.step, job.queue) for job in new_jobs]
    if changed:
        announce(content_id, {"type": "content", "status": changed})
    for job_id, step, _queue in sent:
        send_job(job_id, step)
    if switched:
        from workers.generations import schedule_cleanup  # the actor module imports us

        schedule_cleanup(content_id, content.live_generation)  # type: ignore[arg-type]
    return [step for _, step, _ in sent]


def _declared_broker() -> dramatiq.Broker:
    """The broker with every actor declared: an API or CLI process that retries a job may not
    have imported the actors yet, and an undeclared actor cannot be sent."""
    import workers.actors  # noqa: F401  (imported late: it imports this module)

    return dramatiq.get_broker()


def send_job(job_id: str, step: str) -> str:
    """Send a job's message; returns its id.

    The id is written to the row before the message goes out, so a worker never sees a message
    its row does not name, and a message the row no longer names is known to be stale. If the
    process dies between the two, the row stays `queued` and the sweeper sends it again.
    """
    broker = _declared_broker()
    message = broker.get_actor(step).message(job_id)
    with session_scope() as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(message_id=message.message_id, queued_at=utcnow())
        )
    broker.enqueue(message)
    log.info("job %s (%s) sent as %s", job_id, step, message.message_id)
    return message.message_id


def start_generation(session: Session, content: Content) -> None:
    """Begin processing a content's current source as a new generation (caller commits)."""
    content.generation = (content.generation or 0) + 1
    content.status = "processing"
    content.error = None
    content.updated_at = utcnow()
