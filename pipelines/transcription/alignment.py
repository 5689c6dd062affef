"""Whisper-style answers, made fit for captions: punctuation put back on timed words, and words
estimated where a server gives only timed segments.

whisper-1's `words` carry no punctuation ("word", not "Word,"), while its segment text does;
captions break at sentence and clause ends, so the segment's spelling is laid back onto the
timed words. Some self-hosted servers return segments without words; a segment is at most 30 s
of audio (Whisper's window), so spreading its words over it by length is close enough to show
each line while it is spoken.
"""

from __future__ import annotations

import re

from pipelines.transcription import Segment, Word

# Whisper decodes 30-second windows; a longer "segment" is a whole text-only answer.
MAX_ESTIMATED_SEGMENT_S = 30.0
# How far ahead to look for the next matching token when the two spellings drift apart.
RESYNC_WINDOW = 4

_NOT_WORD = re.compile(r"[^\w']+")


def _bare(token: str) -> str:
    return _NOT_WORD.sub("", token).lower()


def punctuate(words: list[Word], segments: list[Segment]) -> list[Word]:
    """The words, each spelled as in the segment text where the two agree (case aside)."""
    tokens = [t for s in segments for t in s.text.split()]
    out: list[Word] = []
    position = 0
    for word in words:
        bare = _bare(word.word)
        match = next(
            (
                i
                for i in range(position, min(position + RESYNC_WINDOW, len(tokens)))
                if _bare(tokens[i]) == bare
            ),
            None,
        )
        if match is None or not bare:
            out.append(word)
            continue
        out.append(Word(word=tokens[match], start=word.start, end=word.end, speaker=word.speaker))
        position = match + 1
    return out


def estimate_words(segments: list[Segment]) -> list[Word]:
    """Words spread over their segment in proportion to their length; none for long segments."""
    words: list[Word] = []
    for segment in segments:
        span = segment.end - segment.start
        tokens = segment.text.split()
        if not tokens or span <= 0 or span > MAX_ESTIMATED_SEGMENT_S:
            continue
        weights = [len(t) + 1 for t in tokens]
        per_unit = span / sum(weights)
        at = segment.start
        for token, weight in zip(tokens, weights, strict=True):
            end = at + weight * per_unit
            words.append(Word(word=token, start=at, end=end, speaker=segment.speaker))
            at = end
    return words
