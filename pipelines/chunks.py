"""Cutting a long video's encode into chunks: how many, and where each starts and ends.

A chunk is a run of whole HLS segments. The ladder puts a keyframe at every segment boundary
(one closed GOP of `segment_frames` per segment, scene cuts off), so a cut there is a cut at a
keyframe of every rung: each chunk's segments are the ones a single encode makes at those times,
each starting with its own I-frame, and the chunks' playlists join end to end. The video's
first GOP is cut into `opening` shorter segments (`opening_keyframes`), so the first is
playable sooner; every later segment, and so every chunk after the first, is a whole GOP.

Pure, and in two halves: the orchestrator counts the chunks from the duration alone (it has no
frame rate), and the encode finds its chunk's exact range from the output frame rate. Both
use the same nominal boundaries, snapped to whole segments of the real frame rate, so the count
never names a chunk that starts past the end.
"""

from __future__ import annotations

import math
from fractions import Fraction

import msgspec

from settings import Settings

__all__ = [
    "ChunkRange",
    "ChunkRule",
    "chunk_count",
    "chunk_range",
    "opening_keyframes",
    "opening_segments",
    "segment_frames",
]


class ChunkRule(msgspec.Struct, frozen=True, kw_only=True):
    """When a video is cut, and into what: from the settings."""

    min_s: float  # a video this long or longer is cut
    chunk_s: float  # each chunk about this long
    segment_s: float  # the HLS segment length: chunks are whole segments
    opening: int = 1  # the segments the first GOP is cut into

    @classmethod
    def from_settings(cls, settings: Settings) -> ChunkRule:
        return cls(
            min_s=settings.video_chunk_min_s,
            chunk_s=settings.video_chunk_s,
            segment_s=float(settings.hls_segment_s),
            opening=opening_segments(settings),
        )

    @property
    def segments_per_chunk(self) -> int:
        return max(1, round(self.chunk_s / self.segment_s))


class ChunkRange(msgspec.Struct, frozen=True, kw_only=True):
    """Chunk `number` (1-based) of `count`: frames [start_frame, start_frame + frames) of the
    output rate, which are segments numbered from `first_segment` on (counting the opening's
    short segments before them); the last chunk runs to the end."""

    number: int
    count: int
    first_segment: int
    start_frame: int
    frames: int | None  # None: to the end of the video (the last chunk)
    start_s: float
    end_s: float

    @property
    def last(self) -> bool:
        return self.number == self.count


def chunk_count(duration: float | None, rule: ChunkRule) -> int:
    """How many chunks a video of `duration` seconds is encoded in; 0 when it is encoded whole.

    The last chunk keeps at least one nominal segment, so snapping a boundary to the real frame
    rate's segments (up to half a segment later) never leaves it empty.
    """
    if duration is None or duration < rule.min_s or rule.chunk_s <= 0:
        return 0
    span = rule.segments_per_chunk * rule.segment_s
    count = math.ceil((duration - rule.segment_s) / span)
    return count if count >= 2 else 0


def segment_frames(frame_rate: float, segment_s: float) -> int:
    """Frames per segment (the GOP): the ladder's own rounding of rate times length."""
    return max(1, round(frame_rate * segment_s))


def opening_segments(settings: Settings) -> int:
    """How many segments the first GOP is cut into: 1 (none cut) unless the opening length is
    set and shorter than a segment."""
    opening_s = settings.hls_opening_segment_s
    if opening_s <= 0:
        return 1
    return max(1, round(settings.hls_segment_s / opening_s))


def opening_keyframes(gop: int, opening: int) -> list[int]:
    """The frame numbers (from the video's first) where the first GOP's segments after the
    first start, and the second GOP: [] when the GOP is not cut. The last one, `gop` itself, is
    forced too, so the keyframes after it fall every `gop` frames from the start as before
    however the encoder counts its interval."""
    count = _opening_count(gop, opening)
    if count == 1:
        return []
    return [gop * k // count for k in range(1, count + 1)]


def _opening_count(gop: int, opening: int) -> int:
    """The segments a GOP of `gop` frames is cut into: no more than it has frames."""
    return max(1, min(opening, gop))


def _boundary(index: int, rule: ChunkRule, segment_s: Fraction) -> int:
    """The first segment of the chunk after `index` chunks, snapped to whole real segments."""
    nominal = Fraction(index * rule.segments_per_chunk) * Fraction(rule.segment_s)
    return round(nominal / segment_s)


def chunk_range(
    number: int, count: int, duration: float, frame_rate: Fraction, rule: ChunkRule
) -> ChunkRange:
    """Where chunk `number` of `count` starts and ends, at `frame_rate` (exact: 30000/1001)."""
    if not 1 <= number <= count:
        raise ValueError(f"chunk {number} of {count} does not exist")
    per_segment = segment_frames(float(frame_rate), rule.segment_s)
    real_segment = per_segment / frame_rate
    first = _boundary(number - 1, rule, real_segment)
    start_frame = first * per_segment
    # Past the first GOP, a segment's number counts the opening's extra segments too.
    shift = _opening_count(per_segment, rule.opening) - 1 if first > 0 else 0
    if number == count:
        frames, end_s = None, duration
    else:
        after = _boundary(number, rule, real_segment)
        frames = (after - first) * per_segment
        end_s = float((start_frame + frames) / frame_rate)
    return ChunkRange(
        number=number,
        count=count,
        first_segment=first + shift,
        start_frame=start_frame,
        frames=frames,
        start_s=float(start_frame / frame_rate),
        end_s=end_s,
    )
