"""Speech-to-text giving up: the STT reports its error the way livekit-agents' plugins do (an
"error" event on the STT), the session relays it, and the listener hears an apology once."""

from __future__ import annotations

import asyncio
import time

from livekit.agents import Agent, AgentSession, APIConnectionError
from livekit.agents.stt import STTError
from livekit.plugins import deepgram, openai

from agent.recovery import APOLOGIES, apologize_on_errors
from tests.fakes.openai_chat_server import FakeOpenAIChat


def _stt_error(stt: deepgram.STT, recoverable: bool) -> None:
    error = APIConnectionError("deepgram unreachable")
    stt.emit(
        "error",
        STTError(timestamp=time.time(), label=stt.label, error=error, recoverable=recoverable),
    )


async def _spoken_after_stt_errors(base_url: str, errors: list[bool]) -> list[str]:
    # Port 9 on loopback refuses connections: a real Deepgram plugin that cannot reach anyone.
    stt = deepgram.STT(api_key="test-key", base_url="http://127.0.0.1:9/v1/listen")
    llm = openai.LLM(model="fake-model", base_url=f"{base_url}/v1", api_key="test-key")
    async with llm, AgentSession(llm=llm, stt=stt) as session:
        apologize_on_errors(session)
        await session.start(Agent(instructions="You help."))
        for recoverable in errors:
            _stt_error(stt, recoverable)
        await asyncio.sleep(0.3)  # say() plays out on the session's own tasks
        return [
            item.text_content or ""
            for item in session.history.items
            if item.type == "message" and item.role == "assistant"
        ]


def test_stt_that_gives_up_gets_one_apology() -> None:
    with FakeOpenAIChat() as fake:
        # Retries in progress (recoverable) say nothing; two final failures close together are
        # one apology, not two.
        spoken = asyncio.run(_spoken_after_stt_errors(fake.url, [True, False, False]))
    assert spoken == [APOLOGIES["stt_error"]]
    assert fake.requests == []  # the apology is said as written, not generated


def test_stt_retries_in_progress_say_nothing() -> None:
    with FakeOpenAIChat() as fake:
        spoken = asyncio.run(_spoken_after_stt_errors(fake.url, [True, True]))
    assert spoken == []
