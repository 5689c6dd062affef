"""Errors of the LiveKit client. They are not step failures: the API answers them (503 or 502)
and the recording actor retries the transient ones itself.

    LiveKitError
     ├── LiveKitNotConfigured   LIVEKIT_URL, LIVEKIT_API_KEY or LIVEKIT_API_SECRET missing
     ├── LiveKitUnavailable     no answer, or a 5xx                     transient
     ├── LiveKitRefused         a 4xx: bad credentials, a bad request, a missing room
     └── RecordingNeedsS3       egress uploads to S3; local disk cannot receive it
"""

from __future__ import annotations


class LiveKitError(Exception):
    """A LiveKit server API call failed."""

    code = "livekit_failed"
    transient = False


class LiveKitNotConfigured(LiveKitError):
    """LIVEKIT_URL, LIVEKIT_API_KEY or LIVEKIT_API_SECRET is missing."""

    code = "livekit_not_configured"


class LiveKitUnavailable(LiveKitError):
    """LiveKit did not answer, or answered 5xx: trying again may help."""

    code = "livekit_unavailable"
    transient = True


class LiveKitRefused(LiveKitError):
    """LiveKit refused the call (4xx: bad credentials, a bad request, a missing room)."""

    code = "livekit_refused"

    def __init__(self, message: str, *, twirp_code: str = "") -> None:
        super().__init__(message)
        self.twirp_code = twirp_code


class RecordingNeedsS3(LiveKitError):
    """LiveKit's egress uploads to S3; the embedded setup (local disk) cannot receive it."""

    code = "recording_needs_s3"
