"""The Bible stories API: creators write a story, upload its narration (as content) and its
illustrations; children and parents find stories by book, testament and age."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import creators_only
from api.auth.tokens import AuthUser
from api.bible_stories.schemas import (
    IllustrationOut,
    IllustrationPatch,
    StoryIn,
    StoryOut,
    StoryPage,
    StoryPatch,
)
from api.bible_stories.service import (
    apply_scripture,
    check_ages,
    full_story,
    illustration_out,
    illustrations_prefix,
    load_owned_story,
    load_story,
    parsed_scripture,
    story_out,
    url_maker,
)
from api.content.removal import delete_content
from api.errors import InvalidInput, NotFound
from api.web_images import decode_image, delete_images, read_image_body, store_image
from models import BibleStory, Content, StoryIllustration, new_id, utcnow
from models.scripture import canonical_book
from models.story_search import StoryQuery, story_page
from pipelines.media.illustrations import DEFAULT_LIMITS
from pipelines.storage import Storage
from settings import Settings

MAX_LIMIT = 50


class BibleStoriesController(Controller):
    path = "/bible-stories"
    tags = ["bible stories"]

    @post("/", guards=[creators_only], status_code=201, summary="Write a story (creators)")
    async def create(
        self,
        data: JSONBody[StoryIn],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> StoryOut:
        assert user is not None
        check_ages(data.age_min, data.age_max)
        scripture = parsed_scripture(data.scripture)
        # The narration is ordinary content: the same upload, pipeline, player and catalog.
        narration = Content(
            id=new_id(),
            owner_id=user.id,
            kind="bible_story",
            title=data.title,
            description=data.summary,
            status="draft",
            visibility="private",
        )
        story = BibleStory(
            content_id=narration.id,
            owner_id=user.id,
            title=data.title,
            summary=data.summary,
            text=data.text,
            age_min=data.age_min,
            age_max=data.age_max,
        )
        apply_scripture(story, narration, scripture)
        db.add_all([narration, story])
        await db.commit()
        return story_out(settings, story, narration)

    @get(
        "/",
        summary="Published stories: by book, testament, age and words, newest first",
        description=(
            "`book` is any common spelling ('Gen', '1 Sam'); `testament` is `old` or `new`; "
            "`age` keeps stories whose age range holds it; `q` matches words of the title, "
            f"summary and text. `limit` 1-{MAX_LIMIT}; pass `next_cursor` as `cursor`."
        ),
    )
    async def list_stories(
        self,
        db: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        q: FromQuery[str] = "",
        book: FromQuery[str | None] = None,
        testament: FromQuery[Literal["old", "new"] | None] = None,
        age: FromQuery[int | None] = None,
        limit: FromQuery[int] = 20,
        cursor: FromQuery[str | None] = None,
    ) -> StoryPage:
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit is between 1 and {MAX_LIMIT}")
        if len(q) > 200 or (age is not None and not 0 <= age <= 18):
            raise InvalidInput("q is at most 200 characters; age is 0-18")
        canonical = None
        if book:
            canonical = canonical_book(book)
            if canonical is None:
                raise InvalidInput(f"{book!r} is not a book of the Bible")
        query = StoryQuery(
            q=q, book=canonical, testament=testament, age=age, limit=limit, cursor=cursor
        )
        rows, next_cursor = await story_page(db, query)
        return StoryPage(
            items=[story_out(settings, story, content) for story, content in rows],
            next_cursor=next_cursor,
        )

    @get("/{story_id:str}", summary="A story with its illustrations and its narration's timings")
    async def read(
        self,
        story_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> StoryOut:
        story, content = await load_story(db, story_id, user)
        return await full_story(db, settings, story, content)

    @patch("/{story_id:str}", summary="Change a story (its owner or an admin)")
    async def change(
        self,
        story_id: FromPath[str],
        data: JSONBody[StoryPatch],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> StoryOut:
        story, content = await load_owned_story(db, story_id, user)
        for field in ("title", "summary", "text", "age_min", "age_max"):
            value = getattr(data, field)
            if value is not msgspec.UNSET:
                setattr(story, field, value)
        check_ages(story.age_min, story.age_max)
        if data.scripture is not msgspec.UNSET:
            apply_scripture(story, content, parsed_scripture(data.scripture))
        content.title, content.description = story.title, story.summary
        story.updated_at = content.updated_at = utcnow()
        await db.commit()
        return await full_story(db, settings, story, content)

    @delete(
        "/{story_id:str}",
        status_code=204,
        summary="Delete a story, its narration and its illustrations",
    )
    async def remove(
        self,
        story_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
    ) -> None:
        _, content = await load_owned_story(db, story_id, user)
        # The story row cascades; its illustrations live under the narration's media prefix.
        await delete_content(db, settings, storage, content)

    @post(
        "/{story_id:str}/illustrations",
        status_code=201,
        request_max_body_size=None,  # counted below, so a large upload is refused as it streams
        summary="Upload an illustration (JPEG, PNG, WebP or GIF as the body) shown at `at` s",
    )
    async def illustrate(
        self,
        story_id: FromPath[str],
        request: Request[Any, Any, Any],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
        storage: NamedDependency[Storage],
        at: FromQuery[float] = 0.0,
        alt: FromQuery[str] = "",
    ) -> IllustrationOut:
        story, content = await load_owned_story(db, story_id, user)
        if not 0 <= at <= 86_400 or len(alt) > 500:
            raise InvalidInput("at is 0-86400 seconds; alt is at most 500 characters")
        data = await read_image_body(request, DEFAULT_LIMITS.max_bytes)
        image = await decode_image(data)
        illustration = StoryIllustration(
            id=new_id(), story_id=story.id, at_s=at, alt=alt, width=image.width, height=image.height
        )
        illustration.renditions = await store_image(
            storage, illustrations_prefix(content, illustration.id), image
        )
        db.add(illustration)
        await db.commit()
        return illustration_out(settings, illustration, url_maker(settings, content))

    @patch(
        "/{story_id:str}/illustrations/{illustration_id:str}",
        summary="Move an illustration to another time, or change its description",
    )
    async def change_illustration(
        self,
        story_id: FromPath[str],
        illustration_id: FromPath[str],
        data: JSONBody[IllustrationPatch],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        settings: NamedDependency[Settings],
    ) -> IllustrationOut:
        story, content = await load_owned_story(db, story_id, user)
        row = await _illustration(db, story, illustration_id)
        if data.at_s is not msgspec.UNSET:
            row.at_s = data.at_s
        if data.alt is not msgspec.UNSET:
            row.alt = data.alt
        await db.commit()
        return illustration_out(settings, row, url_maker(settings, content))

    @delete(
        "/{story_id:str}/illustrations/{illustration_id:str}",
        status_code=204,
        summary="Delete an illustration and its images",
    )
    async def remove_illustration(
        self,
        story_id: FromPath[str],
        illustration_id: FromPath[str],
        db: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser | None],
        storage: NamedDependency[Storage],
    ) -> None:
        story, _ = await load_owned_story(db, story_id, user)
        row = await _illustration(db, story, illustration_id)
        renditions = list(row.renditions or [])
        await db.delete(row)
        await db.commit()
        await delete_images(storage, renditions)


async def _illustration(
    db: AsyncSession, story: BibleStory, illustration_id: str
) -> StoryIllustration:
    row = await db.get(StoryIllustration, illustration_id)
    if row is None or row.story_id != story.id:
        raise NotFound("no such illustration")
    return row
