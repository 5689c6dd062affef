"""The worker as the Procfile starts it: its commands, the prewarm, and the voice pipeline it
builds from the settings (nothing connects: no LiveKit server here)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from types import SimpleNamespace

from livekit.agents import AgentSession
from livekit.plugins import deepgram, openai, silero

from agent.__main__ import prewarm, server, voice_session
from tests.agent.conftest import agent_settings


def test_the_cli_offers_start_dev_and_console() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "agent", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    for command in ("start", "dev", "console"):
        assert f" {command} " in shown


def test_prewarm_loads_the_vad_and_the_session_is_built_from_settings() -> None:
    assert server.setup_fnc is prewarm
    proc = SimpleNamespace(userdata={})
    prewarm(proc)  # type: ignore[arg-type]
    vad = proc.userdata["vad"]
    assert isinstance(vad, silero.VAD)
    settings = agent_settings(
        deepgram_api_key="dg-key",
        deepgram_base_url="http://127.0.0.1:9",
        openai_api_key="sk-test",
        agent_llm_model="gpt-test",
        agent_tts_model="tts-test",
        agent_tts_voice="sage",
    )

    async def build() -> AgentSession:  # as in the entrypoint: on the job's event loop
        return voice_session(settings, vad)

    session = asyncio.run(build())
    assert session.vad is vad
    assert isinstance(session.stt, deepgram.STT)
    assert session.stt._opts.endpoint_url == "http://127.0.0.1:9/v1/listen"
    assert isinstance(session.llm, openai.LLM) and session.llm.model == "gpt-test"
    assert isinstance(session.tts, openai.TTS)
    assert (session.tts._opts.model, session.tts._opts.voice) == ("tts-test", "sage")
