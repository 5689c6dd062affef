"""The step registry: each plan step's name and the pipeline function that does it.

Entries are import paths so a worker imports only what it runs (a `media` worker never loads the
transcription SDKs) and each step module stands alone.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from pipelines.context import StepContext, StepResult

StepFunction = Callable[[StepContext], StepResult]

STEPS: dict[str, str] = {
    "probe": "pipelines.probe:probe_step",
    "encode_audio": "pipelines.audio:encode_audio_step",
    "waveform": "pipelines.waveform:waveform_step",
    "encode_video": "pipelines.video:encode_video_step",
    "thumbnails": "pipelines.thumbnails:thumbnails_step",
    "publish": "pipelines.publish:publish_step",
    "invalidate_cdn": "pipelines.cdn:invalidate_cdn_step",
    "transcribe": "pipelines.transcription.step:transcribe_step",
    "captions": "pipelines.captions:captions_step",
}


def step_function(name: str) -> StepFunction:
    module_name, _, attr = STEPS[name].partition(":")
    function: StepFunction = getattr(importlib.import_module(module_name), attr)
    return function
