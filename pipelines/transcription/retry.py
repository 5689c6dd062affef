"""Calling a provider: a few quick retries inside the step, then a classified error.

The SDKs' own retry loops are turned off (max_retries=0) so this is the one place that decides:
a 429 or 5xx is retried here after its Retry-After (or a short backoff) while the wait is short,
then handed to the queue as ProviderUnavailable(retry_after=...) so a long wait does not hold an
`io` thread; a 400/401/403 fails at once as ProviderRejected. Every message passes through
`redact` so a provider key never reaches a log line, an error or a job row.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

from pipelines.transcription.errors import ProviderHTTPError, ProviderRejected, ProviderUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

# Three tries in all: enough to ride out a blip without making a job wait on a failing provider.
ATTEMPTS = 3
BACKOFF_S = 0.5
# A Retry-After longer than this is the queue's business (it retries with the delay), not a sleep.
MAX_INLINE_WAIT_S = 10.0

# OpenAI echoes a masked key in its 401 message ("Incorrect API key provided: sk-pr***abcd").
_KEY_LIKE = re.compile(r"\b(sk|dg|gsk|key)[-_][A-Za-z0-9_\-*.]{4,}", re.IGNORECASE)


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _KEY_LIKE.sub("***", text)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Retry-After as seconds: a number or an HTTP date (RFC 9110 §10.2.3); retry-after-ms too."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    parsed = email.utils.parsedate_to_datetime(value) if value else None
    if parsed is None:
        return None
    return max(parsed.timestamp() - time.time(), 0.0)


def pause(seconds: float) -> None:
    """The wait between tries; a module function so tests can see what was waited."""
    time.sleep(seconds)


def is_transient(status: int | None) -> bool:
    # None: the connection failed or timed out before an answer.
    return status is None or status in (408, 409, 429) or status >= 500


def call_with_retries(
    provider: str,
    call: Callable[[], T],
    *,
    secrets: tuple[str, ...],
) -> T:
    """Run `call`, which raises ProviderHTTPError on failure, under the retry policy above."""
    last: ProviderHTTPError | None = None
    for attempt in range(ATTEMPTS):
        try:
            return call()
        except ProviderHTTPError as error:
            last = error
            reason = redact(error.reason, secrets)
            status = error.status
            if error.permanent or not is_transient(status):
                raise ProviderRejected(_message(provider, status, reason, rejected=True)) from None
            wait = retry_after_seconds(error.headers)
            log.warning(
                "%s answered %s (attempt %d/%d): %s",
                provider,
                status or "no response",
                attempt + 1,
                ATTEMPTS,
                reason,
            )
            if attempt + 1 == ATTEMPTS or (wait is not None and wait > MAX_INLINE_WAIT_S):
                break
            pause(wait if wait is not None else BACKOFF_S * 2**attempt)
    assert last is not None
    raise ProviderUnavailable(
        _message(provider, last.status, redact(last.reason, secrets), rejected=False),
        retry_after=retry_after_seconds(last.headers),
    ) from None


def _message(provider: str, status: int | None, reason: str, *, rejected: bool) -> str:
    answer = f"answered {status}" if status else "did not answer"
    hint = f"; check {provider.upper()}_API_KEY" if rejected and status in (401, 403) else ""
    return f"{provider} {answer}: {reason}{hint}"[:500]
