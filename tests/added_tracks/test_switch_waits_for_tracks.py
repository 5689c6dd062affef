"""A new generation of a video with added languages goes live only once it has them: until then
the generation it replaces (which has them) is served, and the new one's track jobs run one at
a time. Through the orchestrator's own advance, on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select, update

from models import AddedTrack, Content, Job, User
from pipelines.plans import plan_for
from workers.db import session_scope, transaction
from workers.orchestrator import advance_locked, lock_content


def _reprocessed_video(languages: tuple[str, ...]) -> str:
    """A video served at generation 1 whose generation 2 has run every step of its plan."""
    with session_scope() as session:
        owner = User(email="switch@church.test", password_hash="x", role="creator")
        session.add(owner)
        session.flush()
        content = Content(
            owner_id=owner.id, kind="video", title="Sunday", status="processing",
            visibility="public", generation=2, live_generation=1, media_type="video",
            duration=60.0,
        )  # fmt: skip
        session.add(content)
        session.flush()
        for spec in plan_for("video", None, "video"):
            session.add(
                Job(
                    content_id=content.id,
                    step=spec.name,
                    generation=2,
                    queue=spec.queue,
                    status="succeeded",
                    attempts=1,
                )  # fmt: skip
            )
        for language in languages:
            session.add(
                AddedTrack(content_id=content.id, language=language, name=language,
                           source_key=f"tracks/{language}.m4a", source_bytes=1, source_sha256="0")
            )  # fmt: skip
        return content.id


def _advance(content_id: str) -> None:
    with transaction() as connection:
        advance_locked(connection, content_id, lock_content(connection, content_id))


def _state(content_id: str) -> tuple[str, int | None, list[tuple[str, str]]]:
    with session_scope() as session:
        content = session.get(Content, content_id)
        assert content is not None
        tracks = session.execute(
            select(Job.track, Job.status)
            .where(Job.content_id == content_id, Job.step == "add_audio_track")
            .where(Job.generation == 2)
            .order_by(Job.queued_at)
        ).all()
        return content.status, content.live_generation, [tuple(t) for t in tracks]


def _finish_track(content_id: str, language: str, status: str = "succeeded") -> None:
    with session_scope() as session:
        session.execute(
            update(Job)
            .where(Job.content_id == content_id, Job.track == language)
            .values(status=status)
        )


def test_the_new_generation_goes_live_once_it_has_every_added_language(clean_db: None) -> None:
    content_id = _reprocessed_video(("es", "fr"))
    _advance(content_id)
    # Still generation 1 served, and the first track is being added to generation 2.
    assert _state(content_id) == ("processing", 1, [("es", "queued")])
    _finish_track(content_id, "es")
    _advance(content_id)
    assert _state(content_id) == ("processing", 1, [("es", "succeeded"), ("fr", "queued")])
    _finish_track(content_id, "fr")
    _advance(content_id)
    assert _state(content_id) == ("ready", 2, [("es", "succeeded"), ("fr", "succeeded")])


def test_a_track_that_cannot_be_added_does_not_hold_the_new_generation(clean_db: None) -> None:
    content_id = _reprocessed_video(("es",))
    _advance(content_id)
    _finish_track(content_id, "es", status="failed")
    _advance(content_id)
    assert _state(content_id) == ("ready", 2, [("es", "failed")])


def test_a_video_without_added_languages_goes_live_at_once(clean_db: None) -> None:
    content_id = _reprocessed_video(())
    _advance(content_id)
    assert _state(content_id) == ("ready", 2, [])
