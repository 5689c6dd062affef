"""Where is the sermon in a two-hour service? A pure function of what we already know.

Two kinds of evidence, each optional:

- The transcript's segments. Worship songs come back from speech-to-text as silence or as
  scattered lyric fragments; the sermon is the longest stretch where one voice talks with only
  short gaps (a preacher pauses for seconds, a song lasts minutes).
- A speech profile: one label a second, "speech", "music" or "quiet", from the audio itself
  (pipelines/media/speech.py). It finds the sermon when there is no transcript.

The suggestion is the longest run of speech, joined across gaps shorter than `MAX_GAP_S`, and at
least `MIN_SERMON_S` long; where both kinds agree the confidence is higher. Nothing here reads a
file: the same inputs give the same answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

__all__ = ["Suggestion", "speech_runs", "suggest_sermon"]

# A preacher pauses, reads a verse, waits for a laugh: under 20 s of something else is not the
# end of the sermon. A song between two talks lasts minutes.
MAX_GAP_S = 20.0
# Announcements and a prayer are talk too, but short; a sermon runs at least ten minutes.
MIN_SERMON_S = 600.0
# A transcript segment this dense is someone talking, not a lyric caught over music.
MIN_WORDS_PER_S = 1.2


class Suggestion(msgspec.Struct, frozen=True, kw_only=True):
    start_s: float
    end_s: float
    evidence: tuple[str, ...]
    confidence: float


Span = tuple[float, float]


def _join(spans: Sequence[Span], max_gap: float) -> list[Span]:
    joined: list[Span] = []
    for start, end in sorted(spans):
        if joined and start - joined[-1][1] <= max_gap:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined


def _speech_segments(segments: Sequence[dict[str, Any]]) -> list[Span]:
    """Segments dense with words: speech. Lyrics over music come back sparse and broken."""
    spans = []
    for segment in segments:
        start, end = float(segment["start"]), float(segment["end"])
        words = len(str(segment.get("text", "")).split())
        if end > start and words / (end - start) >= MIN_WORDS_PER_S:
            spans.append((start, end))
    return spans


def speech_runs(profile: Sequence[str], max_gap: float = MAX_GAP_S) -> list[Span]:
    """Runs of "speech" seconds in a per-second profile, joined across short gaps."""
    spans = [(float(i), float(i + 1)) for i, label in enumerate(profile) if label == "speech"]
    return _join(spans, max_gap)


def _longest(spans: Sequence[Span], min_length_s: float) -> Span | None:
    long_enough = [s for s in spans if s[1] - s[0] >= min_length_s]
    return max(long_enough, key=lambda s: s[1] - s[0], default=None)


def _overlap(a: Span, b: Span) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def suggest_sermon(
    segments: Sequence[dict[str, Any]],
    profile: Sequence[str],
    duration: float,
    *,
    min_length_s: float = MIN_SERMON_S,
    max_gap_s: float = MAX_GAP_S,
) -> Suggestion | None:
    """The sermon's likely range in seconds of the source, or None when nothing is long enough."""
    from_transcript = _longest(_join(_speech_segments(segments), max_gap_s), min_length_s)
    from_audio = _longest(speech_runs(profile, max_gap_s), min_length_s)
    if from_transcript and from_audio:
        agreement = _overlap(from_transcript, from_audio) / max(
            from_transcript[1] - from_transcript[0], from_audio[1] - from_audio[0]
        )
        # The transcript places words to the second; the audio only says where talk was.
        start, end = from_transcript
        return Suggestion(
            start_s=round(max(0.0, start), 3),
            end_s=round(min(duration, end), 3),
            evidence=("transcript", "audio"),
            confidence=round(0.5 + 0.5 * agreement, 3),
        )
    found = from_transcript or from_audio
    if found is None:
        return None
    return Suggestion(
        start_s=round(max(0.0, found[0]), 3),
        end_s=round(min(duration, found[1]), 3),
        evidence=("transcript",) if from_transcript else ("audio",),
        confidence=0.5,
    )
