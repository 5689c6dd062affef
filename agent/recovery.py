"""A spoken apology when the model or speech-to-text gives up, instead of silence.

livekit-agents retries a failing LLM/STT call itself (the session's conn_options) and emits an
"error" event for every attempt; only the last one is unrecoverable. Then the listener would
hear nothing, so we say sorry. The session stays up: it closes only after
max_unrecoverable_errors failures in a row, and an apology that is spoken resets the LLM count.
TTS failures get no apology: it would have to be spoken by the TTS that just failed.
"""

from __future__ import annotations

import contextlib
import logging
import time

from livekit.agents import AgentSession
from livekit.agents.voice.events import ErrorEvent, UserInputTranscribedEvent

logger = logging.getLogger(__name__)

APOLOGIES = {
    "llm_error": "I'm sorry, I couldn't answer that just now. Could you ask me again in a moment?",
    "stt_error": "I'm sorry, I'm having trouble hearing you. Could you say that again?",
}


class _Apologies:
    """When to say sorry: once per LLM failure (but not twice within `quiet_s`), and once per
    STT outage (the session recreates a failed STT stream every few seconds; one apology until
    the listener is heard again is enough)."""

    def __init__(self, session: AgentSession, quiet_s: float) -> None:
        self._session = session
        self._quiet_s = quiet_s
        self._last = -quiet_s
        self._stt_down = False

    def on_error(self, event: ErrorEvent) -> None:
        error_type = getattr(event.error, "type", "")
        if getattr(event.error, "recoverable", True) or error_type not in APOLOGIES:
            return
        logger.warning("agent %s after retries; apologising to the listener", error_type)
        if error_type == "stt_error":
            if self._stt_down:
                return
            self._stt_down = True
        if time.monotonic() - self._last < self._quiet_s:
            return
        self._last = time.monotonic()
        # The session may be closing already (it closes after too many failures in a row).
        with contextlib.suppress(RuntimeError):
            self._session.say(APOLOGIES[error_type])

    def on_transcribed(self, event: UserInputTranscribedEvent) -> None:
        if event.transcript:
            self._stt_down = False


def apologize_on_errors(session: AgentSession, quiet_s: float = 5.0) -> None:
    """Speak an apology when the LLM or STT fails for good (see _Apologies for how often)."""
    apologies = _Apologies(session, quiet_s)
    session.on("error", apologies.on_error)
    session.on("user_input_transcribed", apologies.on_transcribed)
