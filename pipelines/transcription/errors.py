"""Errors of the transcription providers (tree in pipelines/errors.py).

PipelineError
 ├── ProviderUnavailable   a provider is down or throttling (429/5xx, network)   transient
 └── ProviderRejected      a provider refused the request (401, 400)

ProviderHTTPError         what an adapter reports for one failed call; the retry loop
                          (retry.py) turns it into one of the two above
"""

from __future__ import annotations

from collections.abc import Mapping

from pipelines.errors import PipelineError


class ProviderUnavailable(PipelineError):
    """A remote provider is down or throttling (429/5xx, network); worth retrying later."""

    code = "provider_unavailable"
    transient = True


class ProviderRejected(PipelineError):
    """A remote provider refused the request (401, 400): retrying will not help."""

    code = "provider_rejected"


class ProviderHTTPError(Exception):
    """What a provider adapter reports for a failed call: status, headers, a short reason."""

    def __init__(
        self,
        status: int | None,
        reason: str,
        headers: Mapping[str, str] | None = None,
        *,
        permanent: bool = False,
    ):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        # A status that usually passes but this time will not (OpenAI's 429 insufficient_quota).
        self.permanent = permanent
