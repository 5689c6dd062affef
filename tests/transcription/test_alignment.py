"""Whisper answers made fit for captions: punctuation back on timed words, words estimated."""

from __future__ import annotations

from pipelines.transcription import Segment, Word
from pipelines.transcription.alignment import estimate_words, punctuate


def test_punctuation_comes_back_from_the_segment_text_and_drift_is_survived() -> None:
    words = [
        Word(word=w, start=i, end=i + 0.5)
        for i, w in enumerate(["psalm", "twenty", "three", "the", "lord", "is", "my", "shepherd"])
    ]
    segments = [Segment(start=0, end=8, text="Psalm 23: The Lord is my shepherd.")]

    spelled = [w.word for w in punctuate(words, segments)]

    # "twenty three" has no twin in "23:", so those keep whisper's spelling; the rest align.
    assert spelled == ["Psalm", "twenty", "three", "The", "Lord", "is", "my", "shepherd."]
    assert [w.start for w in punctuate(words, segments)] == [w.start for w in words]


def test_words_are_estimated_inside_short_segments_only() -> None:
    segments = [
        Segment(start=2.0, end=4.0, text="Grace and peace."),
        Segment(start=4.0, end=64.0, text="A whole answer with no timing."),
    ]

    words = estimate_words(segments)

    assert [w.word for w in words] == ["Grace", "and", "peace."]
    assert words[0].start == 2.0 and abs(words[-1].end - 4.0) < 1e-9
    for before, after in zip(words, words[1:], strict=False):
        assert before.end == after.start
