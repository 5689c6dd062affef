"""Bible stories for children on the pages: the list (by book, testament and age, and words),
and one story whose narration plays in the page's player while its illustrations change at their
times and the words being read are highlighted. Who sees a story is the API's load_story (a
story is seen exactly as its narration is); the list is models.story_search's, as on the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import AuthUser
from api.bible_stories.schemas import IllustrationOut
from api.bible_stories.service import full_story, illustration_out, load_story, url_maker
from api.web import library
from api.web.story_reading import reading
from api.web.templating import page
from models import BibleStory, Content, Job, StoryIllustration
from models.errors import DataError
from models.scripture import canonical_book
from models.story_search import StoryQuery, story_page
from settings import Settings

PAGE_SIZE = 24
AGES = range(2, 13)


async def narration_words(db: AsyncSession, content: Content) -> list[dict[str, Any]]:
    """The transcript's word timings of the narration that plays: the transcribe step keeps them
    on its job (the Transcript row keeps segments only)."""
    if content.live_generation is None:
        return []
    result = await db.scalar(
        select(Job.result).where(
            Job.content_id == content.id,
            Job.generation == content.live_generation,
            Job.step == "transcribe",
            Job.status == "succeeded",
        )
    )
    return list(((result or {}).get("data") or {}).get("words") or [])


async def covers(
    db: AsyncSession, settings: Settings, rows: list[tuple[BibleStory, Content]]
) -> dict[str, IllustrationOut]:
    """Each listed story's first illustration, for its card."""
    if not rows:
        return {}
    found = await db.scalars(
        select(StoryIllustration)
        .where(StoryIllustration.story_id.in_([story.id for story, _ in rows]))
        .order_by(StoryIllustration.story_id, StoryIllustration.at_s, StoryIllustration.id)
    )
    firsts: dict[str, StoryIllustration] = {}
    for illustration in found:
        firsts.setdefault(illustration.story_id, illustration)
    contents = {story.id: content for story, content in rows}
    return {
        story_id: illustration_out(settings, row, url_maker(settings, contents[story_id]))
        for story_id, row in firsts.items()
    }


class StoryPages(Controller):
    include_in_schema = False

    @get("/stories", name="stories")
    async def stories(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        q: FromQuery[str] = "",
        book: FromQuery[str] = "",
        testament: FromQuery[str] = "",
        age: FromQuery[str] = "",
        cursor: FromQuery[str] = "",
    ) -> Template:
        # A filter the page cannot read is named on the page, not a failure (as the library).
        problems: list[str] = []
        canonical = canonical_book(book) if book else None
        if book and canonical is None:
            problems.append(f"“{book}” is not a book of the Bible")
        if testament not in ("", "old", "new"):
            problems.append("choose the Old or the New Testament")
            testament = ""
        years = int(age) if age.isdigit() and int(age) <= 18 else None
        if age and years is None:
            problems.append("an age is a number from 0 to 18")
        query = StoryQuery(
            q=q[:200], book=canonical, testament=testament or None, age=years,
            limit=PAGE_SIZE, cursor=cursor or None,
        )  # fmt: skip
        try:
            rows, next_cursor = await story_page(db, query)
        except DataError as exc:  # a cursor from elsewhere: start again
            problems.append(str(exc))
            rows, next_cursor = await story_page(db, msgspec.structs.replace(query, cursor=None))
        filters = {"q": q, "book": book, "testament": testament, "age": age}
        more = urlencode({k: v for k, v in {**filters, "cursor": next_cursor}.items() if v})
        return page(
            request,
            "stories.html",
            title="Bible stories",
            stories=rows,
            covers=await covers(db, settings, rows),
            filters=filters,
            problems=problems,
            ages=AGES,
            more=more if next_cursor else "",
        )

    @get("/stories/{story_id:str}", name="story")
    async def story(
        self,
        request: Request[Any, Any, Any],
        story_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> Template:
        found, content = await load_story(db, story_id, user)
        out = await full_story(db, settings, found, content)
        narration = await library.player(db, settings, content.id, user)
        return page(
            request,
            "story.html",
            title=found.title,
            story=out,
            narration=narration,
            reading=reading(found.text, await narration_words(db, content), narration.segments),
        )
