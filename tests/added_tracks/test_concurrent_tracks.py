"""Two added tracks' jobs that ran side by side (an admin's retry beside a planned one): the one
that finishes second wrote a master without the first, so its success is not recorded and it
runs again (Dramatiq's Retry), seeing the first; one that saw every other track is recorded."""

from __future__ import annotations

import dramatiq
import msgspec
import pytest
from sqlalchemy.orm import Session

from models import Content, Job, User
from pipelines.context import StepResult
from pipelines.media.hls import AAC_LC, AUDIO_GROUP, Variant
from workers.added_tracks import keep_added_tracks
from workers.db import session_scope


def _track(language: str) -> Variant:
    return Variant(
        name=language, uri=f"audio_{language}/index.m3u8", bandwidth=150_000,
        average_bandwidth=130_000, codecs=AAC_LC, group_id=AUDIO_GROUP, channels=2,
        language=language,
    )  # fmt: skip


ENGLISH = msgspec.structs.replace(_track("en"), uri="audio/index.m3u8", default=True)


def _result(*tracks: Variant) -> StepResult:
    """What the Spanish track's step gives back: the master's variants and its own track."""
    return StepResult(
        data={
            "variants": msgspec.to_builtins([ENGLISH, *tracks]),
            "track": msgspec.to_builtins(_track("es")),
            "master_key": "hls/master.m3u8",
        }
    )


def _video_with_french_added(session: Session) -> Content:
    owner = User(email="tracks@church.test", password_hash="x", role="creator")
    session.add(owner)
    session.flush()
    content = Content(
        owner_id=owner.id, kind="video", title="Sunday", status="ready", visibility="private",
        generation=1, live_generation=1, media_type="video",
    )  # fmt: skip
    session.add(content)
    session.flush()
    for track, status in (("fr", "succeeded"), ("es", "succeeded")):
        session.add(
            Job(content_id=content.id, step="add_audio_track", generation=1, track=track,
                queue="transcode", status=status)
        )  # fmt: skip
    session.flush()
    return content


def test_a_track_whose_master_missed_one_added_meanwhile_runs_again(clean_db: None) -> None:
    with session_scope() as session:
        content = _video_with_french_added(session)
        with pytest.raises(dramatiq.Retry, match="fr track was added meanwhile"):
            keep_added_tracks(session, content, _result(_track("es")))


def test_a_track_whose_master_lists_every_other_one_is_recorded(clean_db: None) -> None:
    with session_scope() as session:
        content = _video_with_french_added(session)
        keep_added_tracks(session, content, _result(_track("fr"), _track("es")))
