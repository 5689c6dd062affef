"""The text of a story as it is read: its own words timed by the transcript's, the transcript's
words when the narrator told it otherwise, sentences without word timings, plain text without a
transcript."""

from __future__ import annotations

from api.web.story_reading import reading


def _words(text: str, step: float = 0.5) -> list[dict[str, object]]:
    return [
        {"word": w, "start": i * step, "end": i * step + 0.4} for i, w in enumerate(text.split())
    ]


def test_the_written_words_take_the_times_of_the_words_heard() -> None:
    # The recogniser misheard "Noah" and dropped "great": both are passed over, the rest timed.
    heard = _words("no one built a boat. The rain came")
    story = reading("Noah built a great boat.\n\nThe rain came!", heard, [])
    assert story.by == "word"
    first, second = story.paragraphs
    assert [(p.text, p.start) for p in first] == [
        ("Noah", None), ("built", 1.0), ("a", 1.5), ("great", None), ("boat.", 2.0),
    ]  # fmt: skip
    assert [(p.text, p.start) for p in second] == [("The", 2.5), ("rain", 3.0), ("came!", 3.5)]


def test_a_narration_in_other_words_shows_the_words_heard() -> None:
    heard = _words("once upon a time there lived a shepherd")
    story = reading("Jesus told a story about sheep.", heard, [])
    assert story.by == "word"
    heard_words = [str(w["word"]) for w in heard]
    assert [p.text for p in story.paragraphs[0]] == heard_words
    assert story.paragraphs[0][-1].start == 3.5


def test_without_word_timings_a_sentence_at_a_time_and_without_a_transcript_the_text() -> None:
    segments = [
        {"start": 0.0, "end": 2.0, "text": " In the beginning."},
        {"start": 2.0, "end": 4.0, "text": "God made light."},
    ]
    story = reading("In the beginning. God made light.", [], segments)
    assert story.by == "sentence"
    assert [(p.text, p.start, p.end) for p in story.paragraphs[0]] == [
        ("In the beginning.", 0.0, 2.0), ("God made light.", 2.0, 4.0),
    ]  # fmt: skip
    plain = reading("One.\nTwo  words.", [], [])
    assert plain.by == "none"
    assert [[p.text for p in para] for para in plain.paragraphs] == [["One."], ["Two words."]]
