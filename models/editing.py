"""The rules of editing shared by the API and the pages: which ranges a content can be trimmed
or clipped to, and the parent's transcript re-timed to a clip (what its captions will say)."""

from __future__ import annotations

import math
from typing import Any

from models.errors import ClipTooLong, RangeOutsideMedia, RangeReversed

__all__ = ["MIN_RANGE_S", "check_range", "clip_cues"]

# A range shorter than a second is a slip of the mouse, not an edit.
MIN_RANGE_S = 1.0
# Half a millisecond of slack: a range copied from the player's duration display is not refused.
SLACK_S = 0.0005


def check_range(
    start_s: float, end_s: float, duration: float, *, max_length_s: float | None = None
) -> None:
    """Refuse a range the media cannot give, saying which rule and by how much."""
    if not (math.isfinite(start_s) and math.isfinite(end_s)):
        raise RangeReversed("start_s and end_s must be numbers of seconds")
    if end_s <= start_s:
        raise RangeReversed(f"end_s ({end_s:g} s) must come after start_s ({start_s:g} s)")
    if end_s - start_s < MIN_RANGE_S:
        length = end_s - start_s
        raise RangeReversed(f"the range is {length:.3f} s; the shortest is {MIN_RANGE_S:g} s")
    if start_s < 0 or end_s > duration + SLACK_S:
        raise RangeOutsideMedia(
            f"the range {start_s:g}-{end_s:g} s is outside the media (0-{duration:.3f} s)"
        )
    if max_length_s is not None and end_s - start_s > max_length_s:
        raise ClipTooLong(
            f"the clip is {end_s - start_s:.1f} s long; the longest is {max_length_s:g} s"
        )


def clip_cues(segments: list[dict[str, Any]], start_s: float, end_s: float) -> list[dict[str, Any]]:
    """The transcript segments that overlap the range, re-timed so the clip starts at 0.

    A segment cut by the range keeps the share of its words that falls inside it, words being
    spread evenly over the segment's time (segments carry no word times).
    """
    cues: list[dict[str, Any]] = []
    for segment in segments:
        seg_start, seg_end = float(segment["start"]), float(segment["end"])
        words = str(segment.get("text", "")).split()
        if seg_end <= start_s or seg_start >= end_s or not words or seg_end <= seg_start:
            continue
        per_word = (seg_end - seg_start) / len(words)
        kept = [i for i in range(len(words)) if start_s <= seg_start + (i + 0.5) * per_word < end_s]
        if not kept:
            continue
        first, last = kept[0], kept[-1]
        cue_start = max(seg_start + first * per_word, start_s)
        cue_end = min(seg_start + (last + 1) * per_word, end_s)
        cues.append(
            {
                "start": round(cue_start - start_s, 3),
                "end": round(cue_end - start_s, 3),
                "text": " ".join(words[first : last + 1]),
            }
        )
    return cues
