"""Speech-to-text failing: the real Deepgram plugin pointed at a closed port on loopback fails
for good after its retries, again and again as the session recreates its stream; the listener
hears one apology for the outage, not one per failure, and the session stays up."""

from __future__ import annotations

import asyncio
import time

from livekit.agents import Agent, AgentSession, APIConnectionError, APIConnectOptions, utils
from livekit.agents.stt import STTError
from livekit.agents.voice.agent_session import SessionConnectOptions
from livekit.agents.voice.events import ErrorEvent, UserInputTranscribedEvent
from livekit.plugins import deepgram, openai

from agent.recovery import APOLOGIES, apologize_on_errors
from tests.fakes.openai_chat_server import FakeOpenAIChat

FAST = SessionConnectOptions(
    stt_conn_options=APIConnectOptions(max_retry=1, retry_interval=0.05, timeout=2.0),
    max_unrecoverable_errors=50,  # this test is about what is said, not when the session gives up
)


def _said(session: AgentSession) -> list[str]:
    return [
        item.text_content or ""
        for item in session.history.items
        if item.type == "message" and item.role == "assistant"
    ]


async def _outage(base_url: str) -> tuple[list[str], int, bool]:
    async with utils.http_context.open():  # the plugin's HTTP session, as a job provides it
        # Port 9 on loopback refuses connections: Deepgram is unreachable.
        stt = deepgram.STT(api_key="test-key", base_url="http://127.0.0.1:9/v1/listen")
        llm = openai.LLM(model="fake-model", base_url=f"{base_url}/v1", api_key="test-key")
        async with llm, AgentSession(llm=llm, stt=stt, conn_options=FAST) as session:
            final_failures: list[ErrorEvent] = []
            closed: list[object] = []
            session.on("close", closed.append)
            session.on(
                "error", lambda e: final_failures.append(e) if not e.error.recoverable else None
            )
            apologize_on_errors(session, quiet_s=0.0)
            await session.start(Agent(instructions="You help."))
            deadline = time.monotonic() + 10
            while len(final_failures) < 3 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.1)
            return _said(session), len(final_failures), not closed


def test_an_stt_outage_gets_one_apology_and_the_session_stays() -> None:
    with FakeOpenAIChat() as fake:
        said, failures, running = asyncio.run(_outage(fake.url))
    assert failures >= 3
    assert said == [APOLOGIES["stt_error"]]
    assert running  # no "close" event: the session outlived the failures
    assert fake.requests == []  # the apology is said as written, not generated


def _stt_error(stt: deepgram.STT, recoverable: bool) -> None:
    error = APIConnectionError("deepgram unreachable")
    stt.emit(
        "error",
        STTError(timestamp=time.time(), label=stt.label, error=error, recoverable=recoverable),
    )


async def _errors_then_heard_then_errors(base_url: str) -> list[str]:
    stt = deepgram.STT(api_key="test-key", base_url="http://127.0.0.1:9/v1/listen")
    llm = openai.LLM(model="fake-model", base_url=f"{base_url}/v1", api_key="test-key")
    async with llm, AgentSession(llm=llm, stt=stt, conn_options=FAST) as session:
        apologize_on_errors(session, quiet_s=0.0)
        await session.start(Agent(instructions="You help."))
        _stt_error(stt, recoverable=True)  # a retry in progress: nothing to say yet
        await asyncio.sleep(0.1)
        first = _said(session)
        _stt_error(stt, recoverable=False)
        _stt_error(stt, recoverable=False)
        # The listener is heard again: the next outage deserves its own apology.
        heard = UserInputTranscribedEvent(transcript="hi", is_final=True)
        session.emit("user_input_transcribed", heard)
        _stt_error(stt, recoverable=False)
        await asyncio.sleep(0.2)
        return first + ["--"] + _said(session)


def test_retries_say_nothing_and_each_outage_is_apologised_for_once() -> None:
    with FakeOpenAIChat() as fake:
        said = asyncio.run(_errors_then_heard_then_errors(fake.url))
    assert said == ["--", APOLOGIES["stt_error"], APOLOGIES["stt_error"]]
