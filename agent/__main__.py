"""`python -m agent start`: the LiveKit agent worker (the Procfile's `agent`)."""

from __future__ import annotations

from livekit.agents import AgentServer, AgentSession, JobContext, cli
from livekit.plugins import deepgram, openai

from agent.assistant import LibraryAssistant
from models import async_session_factory, make_async_engine
from settings import get_settings

settings = get_settings()
server = AgentServer(
    ws_url=settings.livekit_url or None,
    api_key=settings.livekit_api_key or None,
    api_secret=settings.livekit_api_secret or None,
)
sessions = async_session_factory(make_async_engine(settings.async_database_url))


@server.rtc_session(agent_name=settings.livekit_agent_name)
async def entrypoint(ctx: JobContext) -> None:
    base_url = settings.openai_base_url or None
    session = AgentSession(
        stt=deepgram.STT(model=settings.deepgram_model, api_key=settings.deepgram_api_key or None),
        llm=openai.LLM(
            model=settings.agent_llm_model,
            base_url=base_url,
            api_key=settings.openai_api_key or None,
        ),
        tts=openai.TTS(base_url=base_url, api_key=settings.openai_api_key or None),
    )
    await session.start(agent=LibraryAssistant(sessions), room=ctx.room)
    await session.generate_reply(instructions="Greet the listener and offer to find a sermon.")


if __name__ == "__main__":
    cli.run_app(server)
