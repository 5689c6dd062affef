"""Errors of the media work (tree in pipelines/errors.py).

PipelineError
 ├── MediaRejected     the upload is not media we accept; the message says why
 │    ├── RangeRefused  a trim or clip range the media cannot give (outside it, reversed)
 │    └── ImageRefused  an image we do not decode (not JPEG, PNG, WebP or GIF; damaged)
 │         └── ImageTooLarge  beyond the limits on bytes, sides or pixels (a decompression bomb)
 ├── FFmpegFailed      ffmpeg exited non-zero on media that probed fine
 │    └── FFmpegKilled  ffmpeg died of a signal (SIGKILL of the OOM killer, SIGSEGV)  transient
 ├── ChunksMismatch    a chunked encode's chunks do not meet end to end
 ├── StepTimedOut      a process ran past its time limit                              transient
 └── StepCancelled     an admin cancelled the step
"""

from __future__ import annotations

from pipelines.errors import PipelineError


class MediaRejected(PipelineError):
    """The upload is not media we accept; the message tells the creator why."""

    code = "media_rejected"


class RangeRefused(MediaRejected):
    """A trim or clip range the media cannot give: outside it, empty or reversed, too long."""

    code = "range_refused"


class ImageRefused(MediaRejected):
    """An image we do not decode: not one of the formats we accept, or damaged."""

    code = "image_refused"


class ImageTooLarge(ImageRefused):
    """An image beyond our limits on bytes, sides or pixels, refused before it is decoded: a
    small file can declare a picture that needs gigabytes once decoded (a decompression bomb)."""

    code = "image_too_large"


class FFmpegFailed(PipelineError):
    """ffmpeg exited non-zero on media that probed fine; its stderr tail is kept."""

    code = "ffmpeg_failed"


class FFmpegKilled(FFmpegFailed):
    """ffmpeg was killed by a signal it did not ask for: the machine's doing (memory, a crash),
    not the file's, so another attempt, maybe on another worker, can succeed."""

    code = "ffmpeg_killed"
    transient = True


class ChunksMismatch(PipelineError):
    """A chunked encode's chunks do not join: a gap or overlap between their segments, or
    another init segment (settings changed between chunks). Joined, the stream would skip or
    fail to decode; reprocessing encodes it again."""

    code = "chunks_mismatch"


class StepTimedOut(PipelineError):
    """A process ran past its time limit and was killed with its children."""

    code = "step_timed_out"
    transient = True


class StepCancelled(PipelineError):
    """An admin cancelled the step; the process was stopped."""

    code = "step_cancelled"
