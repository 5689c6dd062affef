"""Finding Bible stories: by book, testament and age, and by words of their title, summary and
text; published stories only (their narration listed, models.visibility), newest first, by
keyset."""

from __future__ import annotations

import re
from datetime import datetime

import msgspec
from sqlalchemy import Select, exists, func, or_, select, tuple_, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from models.catalog.cursor import decode_cursor, encode_cursor
from models.content import Content
from models.errors import BadCursor
from models.stories import BibleStory
from models.visibility import listed

_WORDS = re.compile(r"\w+", re.UNICODE)


class StoryQuery(msgspec.Struct, frozen=True, kw_only=True):
    q: str = ""
    book: str | None = None  # canonical, e.g. "Genesis"
    testament: str | None = None  # old | new
    age: int | None = None
    limit: int = 20
    cursor: str | None = None


def _has_book(book: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return type_coerce(BibleStory.books, JSONB).contains([book])
    entries = func.json_each(BibleStory.books).table_valued("value").alias("book")
    return exists(select(1).select_from(entries).where(entries.c.value == book))


def _has_words(q: str) -> list[ColumnElement[bool]]:
    """Every word somewhere in the title, summary or text (any case): stories are short, and a
    child's parent types 'noah ark', not a query language."""
    conditions = []
    for word in _WORDS.findall(q.lower())[:8]:
        pattern = f"%{word}%"
        conditions.append(
            or_(
                func.lower(BibleStory.title).like(pattern),
                func.lower(BibleStory.summary).like(pattern),
                func.lower(BibleStory.text).like(pattern),
            )
        )
    return conditions


def story_filter(query: StoryQuery, dialect: str) -> Select[BibleStory, Content]:
    statement = (
        select(BibleStory, Content)
        .join(Content, Content.id == BibleStory.content_id)
        .where(listed(), *_has_words(query.q))
    )
    if query.book:
        statement = statement.where(_has_book(query.book, dialect))
    if query.testament:
        statement = statement.where(BibleStory.testament == query.testament)
    if query.age is not None:
        statement = statement.where(
            BibleStory.age_min <= query.age, BibleStory.age_max >= query.age
        )
    return statement


async def story_page(
    db: AsyncSession, query: StoryQuery
) -> tuple[list[tuple[BibleStory, Content]], str | None]:
    statement = story_filter(query, db.get_bind().dialect.name)
    if query.cursor:
        after = decode_cursor(query.cursor)
        try:
            when = datetime.fromisoformat(str(after.key))
        except ValueError:
            raise BadCursor("the cursor is not one this API gave out") from None
        statement = statement.where(
            tuple_(Content.published_at, BibleStory.id) < tuple_(when, after.id)
        )
    statement = statement.order_by(Content.published_at.desc(), BibleStory.id.desc()).limit(
        query.limit + 1
    )
    rows = [(story, content) for story, content in await db.execute(statement)]
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    cursor = None
    if more and rows:
        story, content = rows[-1]
        assert content.published_at is not None
        cursor = encode_cursor(content.published_at.isoformat(), story.id)
    return rows, cursor
