"""Captions burned into a clip for phones: an ASS script that libass (ffmpeg's `ass` filter)
draws onto the frames.

Styled the way social clips are watched, muted, on a phone: large white text with a thick black
outline and a shadow (readable on any picture), at most two lines, words never split, and kept
inside the safe area the platforms' own buttons and captions leave free (TikTok, Reels and Shorts
cover about the bottom fifth and a strip down the right of a vertical video).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import msgspec

__all__ = ["Cue", "SafeArea", "ass_script", "phone_cues", "safe_area"]

MAX_LINES = 2


class Cue(msgspec.Struct, frozen=True, kw_only=True):
    """Text shown from `start` to `end`, in seconds of the clip."""

    start: float
    end: float
    text: str


class SafeArea(msgspec.Struct, frozen=True, kw_only=True):
    """Margins in pixels that captions stay inside, and the text's size."""

    left: int
    right: int
    bottom: int
    font_size: int
    chars_per_line: int


def safe_area(width: int, height: int) -> SafeArea:
    """Vertical video: clear of the bottom 20% (caption bar, buttons) and the right 12% (like,
    comment, share). Square and landscape: the usual 10% title-safe margins."""
    vertical = height > width
    font_size = max(12, round((width if vertical else height) * (0.065 if vertical else 0.06)))
    left = round(width * (0.08 if vertical else 0.1))
    right = round(width * (0.12 if vertical else 0.1))
    bottom = round(height * (0.2 if vertical else 0.1))
    # DejaVu Sans Bold averages about 0.62 em a character.
    chars = max(8, int((width - left - right) / (font_size * 0.62)))
    return SafeArea(
        left=left, right=right, bottom=bottom, font_size=font_size, chars_per_line=chars
    )


def phone_cues(cues: Sequence[Cue], chars_per_line: int) -> list[Cue]:
    """Each cue cut into pieces of at most two lines, the cue's time shared by characters."""
    pieces: list[Cue] = []
    for cue in cues:
        lines = textwrap.wrap(" ".join(cue.text.split()), chars_per_line, break_long_words=False)
        if not lines or cue.end <= cue.start:
            continue
        chunks = [lines[i : i + MAX_LINES] for i in range(0, len(lines), MAX_LINES)]
        total = sum(len(" ".join(chunk)) for chunk in chunks)
        at = cue.start
        for chunk in chunks:
            share = (cue.end - cue.start) * len(" ".join(chunk)) / total
            pieces.append(Cue(start=at, end=at + share, text="\n".join(chunk)))
            at += share
    return pieces


def _time(seconds: float) -> str:
    centis = max(0, round(seconds * 100))
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6_000)
    return f"{hours}:{minutes:02d}:{rest // 100:02d}.{rest % 100:02d}"


def _escape(text: str) -> str:
    """ASS override blocks start with `{`; a backslash starts a tag. Neither may come from a
    transcript: braces become look-alikes and backslashes a visible slash."""
    return (text.replace("\\", "\u29f5").replace("{", "\u2774").replace("}", "\u2775")).replace(
        "\n", "\\N"
    )


def ass_script(cues: Sequence[Cue], width: int, height: int) -> str:
    """The whole ASS file for a `width`x`height` video."""
    area = safe_area(width, height)
    outline = max(2, area.font_size // 10)
    header = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 2",  # no automatic wrapping: the lines are ours
        "ScaledBorderAndShadow: yes",
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        f"Style: Phone,DejaVu Sans,{area.font_size},&H00FFFFFF,&H00FFFFFF,&H00000000,"
        f"&H80000000,-1,0,0,0,100,100,0,0,1,{outline},{max(1, outline // 2)},2,"
        f"{area.left},{area.right},{area.bottom},1",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    events = [
        f"Dialogue: 0,{_time(c.start)},{_time(c.end)},Phone,,0,0,0,,{_escape(c.text)}"
        for c in phone_cues(cues, area.chars_per_line)
    ]
    return "\n".join(header + events) + "\n"
