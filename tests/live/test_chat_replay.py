"""A recording's chat in the recording's own time: trimmed to the sermon, the times move with
the trim and what was said outside it is not part of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.live.chat_service import replayed
from models import ChatMessage, Content, LiveSession

START = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)


def _messages(*seconds: float) -> list[ChatMessage]:
    return [
        ChatMessage(
            id=f"m{i}", session_id="s1", author_id=None, author_name="Ruth", text=f"at {at}",
            sent_at=START + timedelta(seconds=at), removed=False,
        )
        for i, at in enumerate(seconds)
    ]  # fmt: skip


def test_a_whole_recording_replays_each_message_at_its_second() -> None:
    session = LiveSession(id="s1", recording_started_at=START)
    items = replayed(_messages(5, 95.5), session, Content(id="c1"))
    assert [m.at_s for m in items] == [5.0, 95.5]


def test_a_trimmed_recording_moves_the_times_and_drops_what_was_cut() -> None:
    session = LiveSession(id="s1", recording_started_at=START)
    trimmed = Content(id="c1", range_start_s=60.0, range_end_s=120.0)
    items = replayed(_messages(30, 60, 90.25, 150), session, trimmed)
    assert [(m.text, m.at_s) for m in items] == [("at 60", 0.0), ("at 90.25", 30.25)]


def test_without_a_clock_the_messages_keep_no_time() -> None:
    items = replayed(_messages(5), LiveSession(id="s1"), Content(id="c1", range_start_s=60.0))
    assert [m.at_s for m in items] == [None]
