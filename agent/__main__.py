"""`python -m agent start` (or `dev`, `console`): the LiveKit agent worker, the Procfile's `agent`.

Reconnecting is livekit-agents' own: AgentServer's connection task (livekit/agents/worker.py,
`_connection_task`) registers with LiveKit over a websocket and, when that drops or fails,
reconnects with a growing delay (0, 2, 4 ... 10 s), giving up only after `max_retry` (16) failed
attempts in a row; rooms already joined reconnect through the rtc SDK.
"""

from __future__ import annotations

from livekit.agents import NOT_GIVEN, AgentServer, AgentSession, JobContext, JobProcess, cli
from livekit.agents.types import NotGiven
from livekit.plugins import deepgram, openai, silero

from agent.assistant import LibraryAssistant
from agent.recovery import apologize_on_errors
from models import async_session_factory, make_async_engine
from settings import Settings, get_settings

settings = get_settings()
server = AgentServer(
    ws_url=settings.livekit_url or None,
    api_key=settings.livekit_api_key or None,
    api_secret=settings.livekit_api_secret or None,
)


def prewarm(proc: JobProcess) -> None:
    """Once per job process, before any job: the VAD model loads in well under a second, but
    not while a listener waits. The database engine belongs to the process too."""
    proc.userdata["vad"] = silero.VAD.load()
    engine = make_async_engine(settings.async_database_url)
    proc.userdata["sessions"] = async_session_factory(engine)


server.setup_fnc = prewarm


def _given(value: str) -> str | NotGiven:
    """An empty setting means "the provider's default", not an empty string."""
    return value or NOT_GIVEN


def voice_session(settings: Settings, vad: silero.VAD) -> AgentSession:
    # DEEPGRAM_BASE_URL is a host (as for transcription); the plugin wants its listen endpoint.
    deepgram_url = settings.deepgram_base_url.rstrip("/") or "https://api.deepgram.com"
    return AgentSession(
        stt=deepgram.STT(
            model=settings.deepgram_model,
            api_key=_given(settings.deepgram_api_key),
            base_url=f"{deepgram_url}/v1/listen",
        ),
        llm=openai.LLM(
            model=settings.agent_llm_model,
            base_url=_given(settings.openai_base_url),
            api_key=_given(settings.openai_api_key),
        ),
        tts=openai.TTS(
            model=settings.agent_tts_model,
            voice=settings.agent_tts_voice,
            base_url=_given(settings.openai_base_url),
            api_key=_given(settings.openai_api_key),
        ),
        vad=vad,
    )


@server.rtc_session(agent_name=settings.livekit_agent_name)
async def entrypoint(ctx: JobContext) -> None:
    session = voice_session(settings, ctx.proc.userdata["vad"])
    apologize_on_errors(session)
    assistant = LibraryAssistant(ctx.proc.userdata["sessions"], settings, room=ctx.room)
    await session.start(agent=assistant, room=ctx.room)
    await session.generate_reply(
        instructions="Greet the listener warmly in one sentence and offer to help find a sermon "
        "or the time of the next service."
    )


if __name__ == "__main__":
    cli.run_app(server)
