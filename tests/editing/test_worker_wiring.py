"""What the job core calls for edited content: the source each step reads, and a recording
trimming itself to its suggested sermon."""

from __future__ import annotations

import pytest

from models import Content, Job
from pipelines.context import StepResult
from pipelines.plans import edit_of
from tests.sermons import make_sermon
from workers.db import session_scope
from workers.editing import apply_auto_trim, step_source_key

PROFILE = ["music"] * 1200 + ["speech"] * 1800 + ["music"] * 600


def test_after_an_edit_step_the_generation_reads_what_it_made() -> None:
    trimmed = {"trim": StepResult(data={"source_key": "source/trimmed.mkv"})}
    prefix = "media/c1/g2"
    assert step_source_key("trim", "sources/c1/a.mp4", None, {}, prefix) == "sources/c1/a.mp4"
    assert step_source_key("encode_video", "sources/c1/a.mp4", None, trimmed, prefix) == (
        "media/c1/g2/source/trimmed.mkv"
    )
    assert step_source_key("publish", "sources/c1/a.mp4", None, trimmed, prefix) is None
    # A clip renders from its parent's source, then encodes its own MP4.
    assert step_source_key("render_clip", None, "sources/p/s.mp4", {}, prefix) == "sources/p/s.mp4"
    rendered = {"render_clip": StepResult(data={"source_key": "clip.mp4"})}
    assert step_source_key("probe", None, "sources/p/s.mp4", rendered, prefix) == (
        "media/c1/g2/clip.mp4"
    )
    # An unedited generation (the trim step found no range) reads the upload.
    untouched = {"trim": StepResult(data={"source_key": None})}
    assert step_source_key("probe", "sources/c1/a.mp4", None, untouched, prefix) == (
        "sources/c1/a.mp4"
    )


def test_the_edit_follows_the_row() -> None:
    assert edit_of("clip", 10.0) == "clip"
    assert edit_of("recording", 10.0) == "trim"
    assert edit_of("sermon", None) is None


def _recording(owner: str, mode: str | None) -> str:
    content_id = make_sermon(
        owner, kind="recording", source_key="sources/x/live.mp4", duration=3600.0,
        published=False, visibility="private", auto_trim=mode,
    )  # fmt: skip
    with session_scope() as session:
        session.add(
            Job(
                content_id=content_id, step="speech_profile", generation=1, queue="media",
                status="succeeded", result={"data": {"speech_profile": PROFILE}},
            )
        )  # fmt: skip
    return content_id


def _row(content_id: str) -> Content:
    with session_scope() as session:
        row = session.get(Content, content_id)
        assert row is not None
        session.expunge(row)
        return row


@pytest.mark.usefixtures("clean_db")
def test_a_recording_set_to_publish_trims_itself_and_publishes_once_ready(accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")["id"]
    recording = _recording(owner, "publish")
    assert apply_auto_trim(recording) is True
    row = _row(recording)
    assert (row.range_start_s, row.range_end_s) == (1200.0, 3000.0)
    assert row.generation == 2 and row.status == "processing" and row.live_generation == 1
    assert row.publish_at is not None and row.published_at is None
    assert apply_auto_trim(recording) is False  # never twice


@pytest.mark.usefixtures("clean_db")
def test_a_recording_set_to_wait_is_trimmed_but_not_published(accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")["id"]
    recording = _recording(owner, "wait")
    assert apply_auto_trim(recording) is True
    row = _row(recording)
    assert row.range_start_s == 1200.0 and row.publish_at is None


@pytest.mark.usefixtures("clean_db")
def test_a_recording_without_the_setting_is_left_alone(accounts) -> None:  # type: ignore[no-untyped-def]
    owner = accounts.make("creator")["id"]
    recording = _recording(owner, None)
    assert apply_auto_trim(recording) is False
    assert _row(recording).generation == 1
