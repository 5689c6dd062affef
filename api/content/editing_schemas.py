"""Request and response bodies of editing: trims, their suggestion, and clips."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from api.content.schemas import Title

Seconds = Annotated[float, msgspec.Meta(ge=0, le=24 * 3600, examples=[1820.5])]
Aspect = Literal["16:9", "9:16", "1:1"]
Reframe = Literal["centre", "face", "blur-fill"]
AutoTrim = Literal["publish", "wait", "off"]


class TrimIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The range of the source to keep, in seconds of the whole (untrimmed) source."""

    start_s: Seconds
    end_s: Seconds


class TrimOut(msgspec.Struct, kw_only=True):
    id: str
    status: str
    generation: int
    # The range being made now; null once a trim is undone.
    start_s: float | None
    end_s: float | None
    # The whole source's length, which every range is measured against.
    source_duration: float | None


class SuggestionOut(msgspec.Struct, kw_only=True):
    """Where the sermon seems to be, for the creator to accept or move; null when unknown."""

    content_id: str
    start_s: float | None
    end_s: float | None
    # What the suggestion rests on: "transcript", "audio", or both.
    evidence: list[str]
    confidence: float


class AutoTrimIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What a live recording does once processed: trim itself to the suggestion and publish, trim
    and wait for a person, or nothing."""

    mode: AutoTrim


class ClipIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    start_s: Seconds
    end_s: Seconds
    title: Title
    aspect: Aspect = "9:16"
    captions: bool = True
    reframe: Reframe = "centre"


class ClipOut(msgspec.Struct, kw_only=True):
    id: str
    parent_id: str
    status: str
    generation: int
    start_s: float
    end_s: float
    aspect: Aspect
    reframe: Reframe
    captions: bool
    # How many caption cues the parent's transcript gave the clip.
    cues: int
