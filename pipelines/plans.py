"""Plans as data: for each media type, the steps, their queues and what each waits for.

A `StepSpec` says everything the worker needs to run a step: the function (an import path, so a
worker imports only what it runs: a `media` worker never loads the transcription SDKs), its
queue, what it waits for, whether it reads the upload, and whether a provider is given a URL of
the upload instead of its bytes. The orchestrator walks a plan; the worker runs one spec.

Adding a step: one `StepSpec` in the plans below and one function `(StepContext) -> StepResult`;
the actor, the queue and the job rows follow from the spec.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import msgspec

if TYPE_CHECKING:
    from pipelines.context import StepContext, StepResult

    StepFunction = Callable[[StepContext], StepResult]

MediaType = Literal["audio", "video"]
Queue = Literal["transcode", "media", "io", "default"]


class StepSpec(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    queue: Queue
    # "module:function", imported when the step first runs in a process.
    function: str
    after: tuple[str, ...] = ()
    # An optional step may fail without failing the content (captions are a bonus, not the product).
    optional: bool = False
    # The worker fetches the upload to a local file before the step runs.
    reads_source: bool = False
    # On S3 the step also gets a presigned URL of the upload, for a provider that fetches it.
    source_url: bool = False
    # The step calls a service outside this machine: `cnt media process` runs it only when asked.
    remote: bool = False
    # A long source is encoded in chunks (pipelines.chunks), each its own job of this step on
    # any worker; the step's whole job then joins them, and only it counts as the step's success.
    chunked: bool = False


PROBE = StepSpec(
    name="probe", queue="media", function="pipelines.media.probe:probe_step", reads_source=True
)
TRANSCRIBE = StepSpec(
    name="transcribe",
    queue="io",
    function="pipelines.transcription.step:transcribe_step",
    after=("probe",),
    optional=True,
    reads_source=True,
    source_url=True,
    remote=True,
)
CAPTIONS = StepSpec(
    name="captions",
    queue="media",
    function="pipelines.transcription.captions:captions_step",
    after=("transcribe", "publish"),
    optional=True,
    remote=True,
)
INVALIDATE_CDN = StepSpec(
    name="invalidate_cdn",
    queue="io",
    function="pipelines.storage.cdn:invalidate_cdn_step",
    after=("publish",),
    remote=True,
)


WAVEFORM = StepSpec(
    name="waveform",
    queue="media",
    function="pipelines.media.waveform:waveform_step",
    after=("probe",),
    reads_source=True,
)


def _publish(after: tuple[str, ...]) -> StepSpec:
    return StepSpec(
        name="publish", queue="io", function="pipelines.media.master:publish_step", after=after
    )


PLANS: dict[MediaType, tuple[StepSpec, ...]] = {
    "audio": (
        PROBE,
        StepSpec(
            name="encode_audio",
            queue="transcode",
            function="pipelines.media.audio:encode_audio_step",
            after=("probe",),
            reads_source=True,
        ),
        WAVEFORM,
        _publish(("encode_audio", "waveform")),
        INVALIDATE_CDN,
        TRANSCRIBE,
        CAPTIONS,
    ),
    "video": (
        PROBE,
        StepSpec(
            name="encode_video",
            queue="transcode",
            function="pipelines.media.video:encode_video_step",
            after=("probe",),
            reads_source=True,
            chunked=True,
        ),
        StepSpec(
            name="thumbnails",
            queue="media",
            function="pipelines.media.thumbnails:thumbnails_step",
            after=("probe",),
            reads_source=True,
        ),
        # A video's sound drawn too (its sermon reaches the player's waveform); optional, since
        # a video may have no sound to draw.
        msgspec.structs.replace(WAVEFORM, optional=True),
        _publish(("encode_video", "thumbnails")),
        INVALIDATE_CDN,
        TRANSCRIBE,
        CAPTIONS,
    ),
}

# Edited content: a step first makes the generation's source from the content's range (a trim of
# its own source, a clip of its parent's), and the plan then runs on that file, probe and all.
# The step's result names the file (`data["source_key"]`, relative to the generation).
Edit = Literal["trim", "clip"]
EDIT_STEPS: dict[Edit, StepSpec] = {
    "trim": StepSpec(
        name="trim", queue="transcode", function="pipelines.media.trim:trim_step", reads_source=True
    ),
    "clip": StepSpec(
        name="render_clip",
        queue="transcode",
        function="pipelines.media.clips:render_clip_step",
        reads_source=True,
    ),
}


def _edited(first: StepSpec, plan: tuple[StepSpec, ...]) -> tuple[StepSpec, ...]:
    return (
        first,
        *(
            msgspec.structs.replace(s, after=(first.name,)) if s.name == "probe" else s
            for s in plan
        ),
    )


EDITED_PLANS: dict[tuple[Edit, MediaType], tuple[StepSpec, ...]] = {
    (edit, media_type): _edited(spec, plan)
    for edit, spec in EDIT_STEPS.items()
    for media_type, plan in PLANS.items()
}

# A live recording's whole source also gets a speech profile (speech, music or quiet, a label a
# second): the audio's half of the sermon suggestion. Edited generations skip it: they are cuts.
SPEECH_PROFILE = StepSpec(
    name="speech_profile",
    queue="media",
    function="pipelines.media.speech:speech_profile_step",
    after=("probe",),
    optional=True,
    reads_source=True,
)
RECORDING_PLANS: dict[MediaType, tuple[StepSpec, ...]] = {
    media_type: (*plan, SPEECH_PROFILE) for media_type, plan in PLANS.items()
}

# Steps no plan walks: run on a creator's request against the live generation. Adding an audio
# track in another language: its source is the added recording, its `previous` the generation's
# probe and encode_video results, its metadata language the track's.
ADD_AUDIO_TRACK = StepSpec(
    name="add_audio_track",
    queue="transcode",
    function="pipelines.media.added_track:add_audio_track_step",
    after=("encode_video",),
    # A track that cannot be added (not media) fails its job, not the video it was added to.
    optional=True,
    reads_source=True,
)
ON_REQUEST: tuple[StepSpec, ...] = (ADD_AUDIO_TRACK,)

# Every step by name: what the worker runs. A step in several plans runs the same way in each;
# only what it waits for differs.
STEPS: dict[str, StepSpec] = {
    spec.name: spec
    for plan in (
        *PLANS.values(),
        *EDITED_PLANS.values(),
        *RECORDING_PLANS.values(),
        ON_REQUEST,
    )
    for spec in plan
}

# The step whose success makes the content playable.
READY_STEP = "publish"


def plan_for(
    media_type: MediaType | None, edit: Edit | None = None, kind: str | None = None
) -> tuple[StepSpec, ...]:
    """Before probing, only the probe is known; after it, the media type's whole plan. An edited
    content's plan starts with its edit step, and its probe reads what that step made; a live
    recording's plan also profiles its speech."""
    if edit is not None:
        if media_type is None:
            return EDITED_PLANS[(edit, "video")][:2]  # the edit step and the probe after it
        return EDITED_PLANS[(edit, media_type)]
    if media_type is None:
        return (PROBE,)
    return RECORDING_PLANS[media_type] if kind == "recording" else PLANS[media_type]


def edit_of(kind: str | None, range_start_s: float | None) -> Edit | None:
    """Which edit step a content's plan starts with: a clip is always rendered; other content
    is trimmed when it has a range."""
    if kind == "clip":
        return "clip"
    return "trim" if range_start_s is not None else None


def step_function(name: str) -> StepFunction:
    """The function that does step `name`, imported on first use."""
    module_name, _, attr = STEPS[name].function.partition(":")
    function: StepFunction = getattr(importlib.import_module(module_name), attr)
    return function
