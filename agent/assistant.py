"""The library assistant: a LiveKit agent that answers questions about the sermon library."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import msgspec
from livekit.agents import Agent, RunContext, function_tool
from sqlalchemy.ext.asyncio import AsyncSession

from agent.library import LibraryItem, latest_sermons, search_library

INSTRUCTIONS = (
    "You are the friendly voice of the church's media library. Help people find sermons, music and "
    "recordings: by topic, scripture, speaker or series. Use the tools to look things up; "
    "never invent "
    "a sermon. Mention the title, the speaker and, when a passage matched, the minute it starts. "
    "Keep answers short: they are spoken aloud."
)

SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def _spoken(items: list[LibraryItem]) -> str:
    if not items:
        return "Nothing in the library matches that."
    return json.dumps(msgspec.to_builtins(items))


class LibraryAssistant(Agent):
    def __init__(self, sessions: SessionFactory) -> None:
        super().__init__(instructions=INSTRUCTIONS)
        self._sessions = sessions

    @function_tool
    async def search_library(self, context: RunContext, query: str) -> str:
        """Find published sermons and recordings about a topic, scripture, speaker or series.

        Args:
            query: words to look for, e.g. "good shepherd" or "Romans 8" or a speaker's name.
        """
        async with self._sessions() as session:
            return _spoken(await search_library(session, query))

    @function_tool
    async def latest_sermons(self, context: RunContext) -> str:
        """The most recently published sermons."""
        async with self._sessions() as session:
            return _spoken(await latest_sermons(session))
