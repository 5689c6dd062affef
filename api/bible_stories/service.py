"""Bible story rules: a story is seen exactly as its narration is, changed by its owner (or an
admin), and keeps its narration's metadata in step so the catalog finds it too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.middleware import ensure_can_change
from api.auth.tokens import AuthUser
from api.bible_stories.schemas import IllustrationOut, StoryOut
from api.content.cards import content_card
from api.content.playback import is_public
from api.content.service import visible_to
from api.errors import InvalidInput, NotFound
from api.web_images import image_urls
from models import BibleStory, Content, StoryIllustration, Transcript
from models.scripture import ScriptureError, parse_references
from models.stories import testament_of
from pipelines.storage.delivery import content_prefix, grant_access, public_url, signed_url
from settings import Settings


def parsed_scripture(texts: list[str]) -> list[dict[str, Any]]:
    try:
        return [msgspec.to_builtins(ref) for ref in parse_references(texts)]
    except ScriptureError as exc:
        raise InvalidInput(str(exc), extra={"field": "scripture"}) from None


def apply_scripture(story: BibleStory, content: Content, scripture: list[dict[str, Any]]) -> None:
    books = list(dict.fromkeys(str(ref["book"]) for ref in scripture))
    story.scripture, story.books, story.testament = scripture, books, testament_of(books)
    content.scripture = scripture


def check_ages(age_min: int, age_max: int) -> None:
    if age_min > age_max:
        raise InvalidInput("age_min is at most age_max", extra={"field": "age_min"})


async def load_story(
    db: AsyncSession, story_id: str, user: AuthUser | None
) -> tuple[BibleStory, Content]:
    row = (
        await db.execute(
            select(BibleStory, Content)
            .join(Content, Content.id == BibleStory.content_id)
            .where(BibleStory.id == story_id)
        )
    ).first()
    if row is None or not visible_to(row[1], user):
        raise NotFound("no such story")
    return row[0], row[1]


async def load_owned_story(
    db: AsyncSession, story_id: str, user: AuthUser | None
) -> tuple[BibleStory, Content]:
    story, content = await load_story(db, story_id, user)
    ensure_can_change(user, story.owner_id, "this story")
    return story, content


def illustrations_prefix(content: Content, illustration_id: str) -> str:
    """Beside the narration's media: served exactly as the narration is (public, or signed for
    its owner while private), and deleted with it."""
    return f"{content_prefix(content.id)}illustrations/{illustration_id}"


def url_maker(settings: Settings, content: Content) -> Callable[[str], str]:
    if is_public(content):
        return lambda key: public_url(settings, key)
    grant = grant_access(settings, content.id)
    return lambda key: signed_url(settings, grant, key)


def illustration_out(
    settings: Settings, row: StoryIllustration, url_for: Callable[[str], str]
) -> IllustrationOut:
    return IllustrationOut(
        id=row.id,
        at_s=row.at_s,
        alt=row.alt,
        width=row.width,
        height=row.height,
        images=image_urls(settings, row.renditions, url_for),
    )


def story_out(
    settings: Settings,
    story: BibleStory,
    content: Content,
    illustrations: list[StoryIllustration] | None = None,
    timings: list[dict[str, Any]] | None = None,
) -> StoryOut:
    url_for = url_maker(settings, content)
    return StoryOut(
        id=story.id,
        owner_id=story.owner_id,
        title=story.title,
        scripture=story.scripture or [],
        books=story.books or [],
        testament=story.testament,
        summary=story.summary,
        age_min=story.age_min,
        age_max=story.age_max,
        text=story.text,
        narration=content_card(content),
        created_at=story.created_at,
        updated_at=story.updated_at,
        illustrations=[illustration_out(settings, i, url_for) for i in illustrations or []],
        timings=timings or [],
    )


async def full_story(
    db: AsyncSession, settings: Settings, story: BibleStory, content: Content
) -> StoryOut:
    illustrations = list(
        await db.scalars(
            select(StoryIllustration)
            .where(StoryIllustration.story_id == story.id)
            .order_by(StoryIllustration.at_s, StoryIllustration.id)
        )
    )
    segments = await db.scalar(
        select(Transcript.segments).where(Transcript.content_id == content.id)
    )
    return story_out(settings, story, content, illustrations, list(segments or []))
