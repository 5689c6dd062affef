"""Plans as data: for each media type, the steps, their queues and what each waits for."""

from __future__ import annotations

from typing import Literal

import msgspec

MediaType = Literal["audio", "video"]
Queue = Literal["transcode", "media", "io", "default"]


class StepSpec(msgspec.Struct, frozen=True):
    name: str
    queue: Queue
    after: tuple[str, ...] = ()
    # An optional step may fail without failing the content (captions are a bonus, not the product).
    optional: bool = False


PROBE = StepSpec("probe", "media")
TRANSCRIBE = StepSpec("transcribe", "io", after=("probe",), optional=True)
CAPTIONS = StepSpec("captions", "media", after=("transcribe", "publish"), optional=True)

PLANS: dict[MediaType, tuple[StepSpec, ...]] = {
    "audio": (
        PROBE,
        StepSpec("encode_audio", "transcode", after=("probe",)),
        StepSpec("waveform", "media", after=("probe",)),
        StepSpec("publish", "io", after=("encode_audio", "waveform")),
        StepSpec("invalidate_cdn", "io", after=("publish",)),
        TRANSCRIBE,
        CAPTIONS,
    ),
    "video": (
        PROBE,
        StepSpec("encode_video", "transcode", after=("probe",)),
        StepSpec("thumbnails", "media", after=("probe",)),
        StepSpec("publish", "io", after=("encode_video", "thumbnails")),
        StepSpec("invalidate_cdn", "io", after=("publish",)),
        TRANSCRIBE,
        CAPTIONS,
    ),
}

# The step whose success makes the content playable.
READY_STEP = "publish"


def plan_for(media_type: MediaType | None) -> tuple[StepSpec, ...]:
    """Before probing, only the probe is known; after it, the media type's whole plan."""
    if media_type is None:
        return (PROBE,)
    return PLANS[media_type]


def step_spec(media_type: MediaType | None, name: str) -> StepSpec:
    for spec in plan_for(media_type) if media_type else (PROBE,):
        if spec.name == name:
            return spec
    for plan in PLANS.values():
        for spec in plan:
            if spec.name == name:
                return spec
    raise KeyError(name)


def ready_steps(
    media_type: MediaType | None, succeeded: set[str], blocked: set[str], started: set[str]
) -> list[StepSpec]:
    """Steps whose dependencies all succeeded and that were never started.

    `blocked` holds steps that failed for good: their dependents never run. An optional step's
    failure blocks only its own dependents.
    """
    ready = []
    for spec in plan_for(media_type):
        if spec.name in started or spec.name in blocked:
            continue
        if all(dep in succeeded for dep in spec.after):
            ready.append(spec)
    return ready
