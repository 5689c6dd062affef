"""A small library in the real test database, and a text-only AgentSession against the fake
OpenAI chat server: no LiveKit server, no network."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
import pytest
from livekit.agents import AgentSession, APIConnectOptions
from livekit.agents.voice.agent_session import SessionConnectOptions
from livekit.agents.voice.run_result import RunResult
from livekit.plugins import openai

from agent.assistant import ChatRoom, LibraryAssistant
from agent.recovery import apologize_on_errors
from models import LiveSession, User, async_session_factory, make_async_engine
from models.scripture import parse_reference
from settings import Settings, get_settings
from tests.sermons import make_series, make_sermon
from workers.db import session_scope

# A Thursday evening; services below are placed around it.
NOW = datetime(2026, 2, 26, 18, 0, tzinfo=UTC)


def scripture(reference: str) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(ref) for ref in parse_reference(reference)]


@dataclass
class Library:
    shepherd: str  # public: Psalm 23, "still waters" 12 minutes in
    forgiven: str  # public: forgiveness, James Carter, spring 2025
    seventy: str  # public: forgiveness, Ruth Okafor, autumn 2025
    private: str  # the rest mention still waters too, and must never surface
    unlisted: str
    unpublished: str
    hidden: list[str] = field(default_factory=list)


@pytest.fixture
def owner(clean_db: None) -> str:
    with session_scope() as session:
        owner = User(email="office@church.test", password_hash="x", role="creator")
        session.add(owner)
        session.flush()
        return owner.id


@pytest.fixture
def library(owner: str) -> Library:
    psalms = make_series(owner, title="Psalms for Life")
    waters = [
        {"start": 0.0, "end": 6.0, "text": "Good morning, church."},
        {"start": 754.0, "end": 760.0, "text": "He leads me beside still waters."},
    ]
    forgiveness = [{"start": 62.0, "end": 70.0, "text": "Forgiveness is a gift we pass on."}]
    old = NOW - timedelta(days=300)
    shepherd = make_sermon(
        owner,
        title="The Good Shepherd",
        speaker="James Carter",
        series_id=psalms,
        scripture=scripture("Psalm 23"),
        recorded_date=date(2025, 5, 4),
        published_at=old,
        segments=waters,
        duration=1860.0,
    )
    forgiven = make_sermon(
        owner,
        title="Forgiven Much",
        speaker="James Carter",
        scripture=scripture("Luke 7:36-50"),
        recorded_date=date(2025, 4, 13),
        published_at=old,
        segments=forgiveness,
    )
    seventy = make_sermon(
        owner,
        title="Seventy Times Seven",
        speaker="Ruth Okafor",
        scripture=scripture("Matthew 18:21-35"),
        recorded_date=date(2025, 9, 7),
        published_at=old,
        segments=forgiveness,
    )
    hidden = {
        name: make_sermon(
            owner,
            title=f"Still Waters ({name})",
            speaker="James Carter",
            series_id=psalms,
            scripture=scripture("Psalm 23"),
            visibility=visibility,
            published=published,
            segments=waters,
        )
        for name, visibility, published in (
            ("private", "private", True),
            ("unlisted", "unlisted", True),
            ("unpublished", "public", False),
        )
    }
    return Library(
        shepherd=shepherd,
        forgiven=forgiven,
        seventy=seventy,
        private=hidden["private"],
        unlisted=hidden["unlisted"],
        unpublished=hidden["unpublished"],
        hidden=list(hidden.values()),
    )


@pytest.fixture
def services(owner: str) -> None:
    rows = [
        ("Sunday Worship", "public", "scheduled", NOW + timedelta(days=2, hours=22, minutes=30)),
        ("Lent Vigil", "public", "scheduled", NOW + timedelta(hours=7)),
        ("Elders' Meeting", "private", "scheduled", NOW + timedelta(hours=3)),
        ("Choir Rehearsal", "unlisted", "scheduled", NOW + timedelta(hours=4)),
        ("Last Sunday", "public", "scheduled", NOW - timedelta(days=4)),
        ("Wednesday Prayer", "public", "ended", NOW + timedelta(hours=1)),
    ]
    with session_scope() as session:
        for title, visibility, status, when in rows:
            session.add(
                LiveSession(
                    owner_id=owner,
                    room_name=f"room-{title}",
                    title=title,
                    visibility=visibility,
                    status=status,
                    scheduled_at=when,
                )
            )


class RecordingParticipant:
    """The room's local participant as send_link sees it: records each text stream sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_text(self, text: str, *, topic: str = "") -> None:
        self.sent.append((topic, text))


class RecordingRoom:
    def __init__(self) -> None:
        self.local_participant = RecordingParticipant()


def agent_settings(**overrides: Any) -> Settings:
    return msgspec.structs.replace(get_settings(), **overrides)


# Retries come quickly so a persistent failure exhausts them in well under a second.
FAST_RETRIES = SessionConnectOptions(
    llm_conn_options=APIConnectOptions(max_retry=2, retry_interval=0.05, timeout=5.0)
)


async def converse(
    base_url: str,
    questions: list[str],
    *,
    room: ChatRoom | None = None,
    settings: Settings | None = None,
    apologize: bool = False,
    between: Any = None,
) -> list[RunResult[Any]]:
    """Each question as one text turn of the same session; `between(i)` runs after turn i."""
    engine = make_async_engine(get_settings().async_database_url)
    results: list[RunResult[Any]] = []
    try:
        llm = openai.LLM(model="fake-model", base_url=f"{base_url}/v1", api_key="test-key")
        async with llm, AgentSession(llm=llm, conn_options=FAST_RETRIES) as session:
            if apologize:
                apologize_on_errors(session)
            assistant = LibraryAssistant(
                async_session_factory(engine),
                settings or get_settings(),
                room=room,
                now=lambda: NOW,
            )
            await session.start(assistant)
            for index, question in enumerate(questions):
                results.append(await session.run(user_input=question))
                if between is not None:
                    between(index)
        return results
    finally:
        await engine.dispose()


@pytest.fixture
def room() -> Iterator[RecordingRoom]:
    yield RecordingRoom()
