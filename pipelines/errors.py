"""The errors a pipeline raises, each saying whether trying again can help."""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every pipeline failure. `transient` decides retry, never string matching."""

    transient: bool = False
    code: str = "pipeline_failed"

    def __init__(self, message: str, *, log_tail: str = "") -> None:
        super().__init__(message)
        self.log_tail = log_tail


class MediaRejected(PipelineError):
    """The upload is not media we accept; the message tells the creator why."""

    code = "media_rejected"


class FFmpegFailed(PipelineError):
    """ffmpeg exited non-zero on media that probed fine; its stderr tail is kept."""

    code = "ffmpeg_failed"


class StepTimedOut(PipelineError):
    """A process ran past its time limit and was killed with its children."""

    code = "step_timed_out"
    transient = True


class StepCancelled(PipelineError):
    """An admin cancelled the step; the process was stopped."""

    code = "step_cancelled"


class StorageUnavailable(PipelineError):
    """The object store failed in a way that may pass (5xx, throttling, network)."""

    code = "storage_unavailable"
    transient = True


class StorageRefused(PipelineError):
    """The object store refused the request (access denied, no such bucket, a bad request):
    trying again will not help until someone changes credentials or settings."""

    code = "storage_refused"


class ObjectMissing(PipelineError):
    """An object a step needs is not in storage."""

    code = "object_missing"


class ProviderUnavailable(PipelineError):
    """A remote provider is down or throttling (429/5xx, network); worth retrying later."""

    code = "provider_unavailable"
    transient = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderRejected(PipelineError):
    """A remote provider refused the request (401, 400): retrying will not help."""

    code = "provider_rejected"
