"""The root of every step's failure, and the tree of them across the pipelines' packages.

Each package raises its own errors (its `errors` module); all share this root, so the worker
decides retry or failure by one attribute, `transient`, never by an error's text.

    PipelineError                      (permanent unless a subclass says otherwise)
     ├── media.errors
     │    ├── MediaRejected            the upload is not media we accept
     │    │    ├── RangeRefused        a trim or clip range the media cannot give
     │    │    └── ImageRefused        an image we do not decode (ImageTooLarge: a bomb)
     │    ├── FFmpegFailed             ffmpeg failed on media that probed fine
     │    ├── FFmpegKilled             ffmpeg died of a signal (the OOM killer)   transient
     │    ├── ChunksMismatch           a chunked encode's chunks do not meet
     │    ├── StepTimedOut             a process ran past its limit               transient
     │    └── StepCancelled            an admin cancelled the step
     ├── storage.errors
     │    ├── StorageUnavailable       5xx, throttling, network                   transient
     │    ├── StorageRefused           access denied, no such bucket
     │    ├── ObjectMissing            an object a step needs is not there
     │    ├── CdnUnavailable           CloudFront throttled or unreachable        transient
     │    ├── CdnRefused               CloudFront refused the invalidation
     │    └── PlaylistEscapesPrefix    a playlist names an object outside its content
     └── transcription.errors
          ├── ProviderUnavailable      a provider's 429/5xx or network            transient
          └── ProviderRejected         a provider's 4xx

The LiveKit client's errors (pipelines/live/errors.py) are not step failures and have a tree of
their own.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every pipeline failure. `transient` decides retry, never string matching."""

    transient: bool = False
    code: str = "pipeline_failed"

    def __init__(self, message: str, *, log_tail: str = "", retry_after: float | None = None):
        super().__init__(message)
        self.log_tail = log_tail
        # Seconds the far side asked us to wait before trying again (a 429's Retry-After).
        self.retry_after = retry_after
