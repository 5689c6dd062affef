"""The library assistant: a LiveKit agent whose tools are thin calls into agent.library."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Any, Protocol

from livekit.agents import Agent, RunContext, function_tool
from livekit.agents.types import TOPIC_CHAT
from sqlalchemy.ext.asyncio import AsyncSession

from agent import library
from agent.prompt import instructions
from agent.spoken import (
    NO_SUCH_SERMON,
    chat_message,
    spoken_details,
    spoken_hits,
    spoken_services,
)
from models import utcnow
from settings import Settings

SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class TextSender(Protocol):
    async def send_text(self, text: str, *, topic: str = "") -> Any: ...


class ChatRoom(Protocol):
    """What send_link needs of a room: rtc.Room in a job, a recording fake in tests."""

    @property
    def local_participant(self) -> TextSender: ...


class LibraryAssistant(Agent):
    def __init__(
        self,
        sessions: SessionFactory,
        settings: Settings,
        room: ChatRoom | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._zone = settings.agent_zone
        super().__init__(instructions=instructions(now().astimezone(self._zone).date()))
        self._sessions = sessions
        self._settings = settings
        self._room = room
        self._now = now

    @function_tool
    async def search_sermons(
        self,
        context: RunContext,
        query: str,
        speaker: str | None = None,
        series: str | None = None,
        scripture: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> str:
        """Search the public sermon library: titles, descriptions and what was said (transcripts).

        Args:
            query: the topic in a few words, e.g. "forgiveness"; empty for the newest sermons.
            speaker: who preached, e.g. "Pastor James"; leave empty for anyone.
            series: the series' name, e.g. "Psalms of Ascent"; leave empty for any.
            scripture: a book or passage, e.g. "Psalm 23" or "Romans"; leave empty for any.
            since: preached on or after this day, as YYYY-MM-DD.
            until: preached on or before this day, as YYYY-MM-DD.
        """
        try:
            filters = library.SearchFilters(
                speaker=speaker or None,
                series=series or None,
                scripture=scripture or None,
                since=_day(since),
                until=_day(until),
            )
        except ValueError:
            return "Dates must look like 2025-03-01; nothing was searched."
        async with self._sessions() as db:
            try:
                hits = await library.search_sermons(db, query, filters)
            except library.UnknownFilter as exc:
                return f"Nothing found: {exc}."
        return spoken_hits(hits)

    @function_tool
    async def sermon_details(self, context: RunContext, sermon_id: str) -> str:
        """Details of one sermon: speaker, date, scripture, series, length and playback link.

        Args:
            sermon_id: the id in brackets from search_sermons.
        """
        async with self._sessions() as db:
            details = await library.sermon_details(db, self._settings, sermon_id)
        return spoken_details(details)

    @function_tool
    async def send_link(self, context: RunContext, sermon_id: str) -> str:
        """Send a sermon's playback link into the room's chat, for the listener to open later.

        Args:
            sermon_id: the id in brackets from search_sermons.
        """
        async with self._sessions() as db:
            details = await library.sermon_details(db, self._settings, sermon_id)
        if details is None:
            return NO_SUCH_SERMON
        if details.link is None:
            return f'"{details.title}" has no playback link yet; nothing was sent.'
        if self._room is None:
            return "There is no room chat to send it to."
        await self._room.local_participant.send_text(chat_message(details), topic=TOPIC_CHAT)
        return f'Sent the link to "{details.title}" to the chat.'

    @function_tool
    async def next_services(self, context: RunContext) -> str:
        """The next scheduled live services (and any live right now), soonest first."""
        async with self._sessions() as db:
            services = await library.next_services(db, self._now())
        return spoken_services(services, self._zone)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value.strip()) if value and value.strip() else None
