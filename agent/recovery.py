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
from livekit.agents.voice.events import ErrorEvent

logger = logging.getLogger(__name__)

APOLOGIES = {
    "llm_error": "I'm sorry, I couldn't answer that just now. Could you ask me again in a moment?",
    "stt_error": "I'm sorry, I'm having trouble hearing you. Could you say that again?",
}


def apologize_on_errors(session: AgentSession, quiet_s: float = 5.0) -> None:
    """Speak an apology for each unrecoverable LLM or STT failure, at most one per `quiet_s`."""
    last_apology = -quiet_s

    def on_error(event: ErrorEvent) -> None:
        nonlocal last_apology
        error_type = getattr(event.error, "type", "")
        if getattr(event.error, "recoverable", True) or error_type not in APOLOGIES:
            return
        logger.warning("agent %s after retries; apologising to the listener", error_type)
        if time.monotonic() - last_apology < quiet_s:
            return
        last_apology = time.monotonic()
        # The session may be closing already (it closes after too many failures in a row).
        with contextlib.suppress(RuntimeError):
            session.say(APOLOGIES[error_type])

    session.on("error", on_error)
