"""Cut points and merging for size-limited uploads, as pure functions."""

from __future__ import annotations

import pytest

from pipelines.transcription import Segment, Transcript, Word
from pipelines.transcription.chunking import PAD_S, Chunk, merge_chunks, plan_chunks

BYTES_PER_S = 4000  # 32 kb/s


def assert_tiles(chunks: list[Chunk], duration: float) -> None:
    assert chunks[0].start == 0.0 and chunks[-1].end == duration
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.end == after.start  # no gap, no overlap


def test_a_track_under_the_limit_is_one_chunk() -> None:
    assert plan_chunks(100.0, 400_000, 1_000_000, []) == [Chunk(0, 0.0, 100.0, 0.0, 100.0)]


def test_cuts_fall_at_pause_midpoints_and_each_upload_fits() -> None:
    duration = 600.0
    pauses = [(float(t), t + 0.6) for t in range(7, 600, 9)]
    max_bytes = 100 * BYTES_PER_S  # 100 s a chunk

    chunks = plan_chunks(duration, int(duration * BYTES_PER_S), max_bytes, pauses)

    assert_tiles(chunks, duration)
    midpoints = {round(a + 0.3, 6) for a, _ in pauses}
    for chunk in chunks[1:]:
        assert round(chunk.start, 6) in midpoints
        assert chunk.read_start == chunk.start  # a pause needs no padding
    for chunk in chunks:
        assert chunk.read_duration * BYTES_PER_S <= max_bytes


def test_without_pauses_cuts_are_hard_and_padded_on_both_sides() -> None:
    duration = 300.0
    max_bytes = 100 * BYTES_PER_S

    chunks = plan_chunks(duration, int(duration * BYTES_PER_S), max_bytes, [])

    assert_tiles(chunks, duration)
    assert len(chunks) == 4
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.read_end == pytest.approx(before.end + PAD_S)
        assert after.read_start == pytest.approx(after.start - PAD_S)
    for chunk in chunks:
        assert chunk.read_duration * BYTES_PER_S <= max_bytes


def test_a_word_under_a_hard_cut_is_kept_once() -> None:
    first = Chunk(0, 0.0, 10.0, 0.0, 12.0)
    second = Chunk(1, 10.0, 20.0, 8.0, 20.0)
    # Both chunks heard "grace" (9.8 s to 10.4 s, midpoint 10.1 s): it belongs to the second.
    heard_first = Transcript(
        provider="openai",
        language="en",
        text="amazing grace",
        words=[Word(word="amazing", start=9.0, end=9.7), Word(word="grace", start=9.8, end=10.4)],
        segments=[Segment(start=9.0, end=10.4, text="amazing grace")],
    )
    heard_second = Transcript(
        provider="openai",
        language="en",
        text="grace how sweet",
        words=[
            Word(word="grace", start=1.8, end=2.4),
            Word(word="how", start=2.5, end=2.7),
            Word(word="sweet", start=2.8, end=3.2),
        ],
        segments=[Segment(start=1.8, end=3.2, text="grace how sweet")],
    )

    merged = merge_chunks(
        [(second, heard_second), (first, heard_first)], provider="openai", language="en"
    )

    assert [w.word for w in merged.words] == ["amazing", "grace", "how", "sweet"]
    assert [w.start for w in merged.words] == pytest.approx([9.0, 9.8, 10.5, 10.8])
    assert merged.text == "amazing grace how sweet"
    assert [s.text for s in merged.segments] == ["amazing", "grace how sweet"]
    assert merged.segments[1].start == 10.0
