"""The library assistant finds sermons through its tools, against a fake OpenAI chat server and
the real database; no LiveKit server is needed for a text run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from livekit.agents import AgentSession
from livekit.plugins import openai

from agent.assistant import LibraryAssistant
from models import Content, Transcript, User, async_session_factory, make_async_engine
from settings import get_settings
from tests.fakes.openai_chat_server import FakeOpenAIChat


def _seed() -> None:
    from workers.db import session_scope

    with session_scope() as session:
        owner = User(email="pastor@church.test", password_hash="x", role="creator")
        session.add(owner)
        session.flush()
        shepherd = Content(
            owner_id=owner.id,
            title="The Good Shepherd",
            speaker="Pastor Ann",
            status="ready",
            visibility="public",
            published_at=datetime.now(UTC),
            duration=1800.0,
        )
        hidden = Content(
            owner_id=owner.id,
            title="Shepherd draft",
            speaker="Pastor Ann",
            status="ready",
            visibility="private",
            duration=60.0,
        )
        session.add_all([shepherd, hidden])
        session.flush()
        session.add(
            Transcript(
                content_id=shepherd.id,
                provider="test",
                text="He leads me beside still waters",
                segments=[
                    {"start": 754.0, "end": 760.0, "text": "He leads me beside still waters."}
                ],
            )
        )


async def _ask(base_url: str, question: str):  # type: ignore[no-untyped-def]
    engine = make_async_engine(get_settings().async_database_url)
    try:
        llm = openai.LLM(model="fake-model", base_url=f"{base_url}/v1", api_key="test-key")
        async with llm, AgentSession(llm=llm) as session:
            await session.start(LibraryAssistant(async_session_factory(engine)))
            return await session.run(user_input=question)
    finally:
        await engine.dispose()


def test_assistant_searches_the_library_and_names_only_public_sermons(clean_db: None) -> None:
    _seed()
    with FakeOpenAIChat("search_library", {"query": "still waters"}) as fake:
        result = asyncio.run(_ask(fake.url, "Is there a sermon about still waters?"))
        result.expect.next_event().is_function_call(
            name="search_library", arguments={"query": "still waters"}
        )
        output = result.expect.next_event().is_function_call_output()
        message = result.expect.next_event().is_message(role="assistant")
        result.expect.no_more_events()
    tool_text = output.event().item.output
    assert "The Good Shepherd" in tool_text and "754.0" in tool_text
    assert "Shepherd draft" not in tool_text  # private content is never spoken of
    assert "The Good Shepherd" in message.event().item.text_content
    # The model was offered both tools, described from their docstrings.
    offered = {t["function"]["name"] for t in fake.requests[0].json["tools"]}
    assert offered == {"search_library", "latest_sermons"}
