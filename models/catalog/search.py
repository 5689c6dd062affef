"""Catalog queries: the listing, its filters, and ranked full-text search.

PostgreSQL ranks with ts_rank over the generated tsvector columns of migration 0002 (GIN
indexed) and writes the snippet with ts_headline; SQLite (embedded setup) uses its FTS5 table,
bm25() and snippet(). The timestamp is the first transcript segment holding the query terms.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnClause,
    Date,
    Float,
    String,
    bindparam,
    cast,
    exists,
    func,
    literal_column,
    select,
    text,
    tuple_,
    type_coerce,
    union,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only
from sqlalchemy.sql import ColumnElement, Select

from models import Content, Transcript
from models.catalog.cursor import decode_cursor, encode_cursor
from models.catalog.schemas import CatalogItem, CatalogPage, CatalogQuery, Match
from models.errors import BadCursor
from models.visibility import listed

# The columns a catalog item shows: not the probe, loudness or invalidation documents, which
# are large and would be decoded for every row of every page.
ITEM_FIELDS = (
    Content.id,
    Content.title,
    Content.description,
    Content.speaker,
    Content.series_id,
    Content.kind,
    Content.scripture,
    Content.tags,
    Content.language,
    Content.recorded_date,
    Content.published_at,
    Content.media_type,
    Content.duration,
)
ITEM_COLUMNS = load_only(*ITEM_FIELDS, raiseload=True)
HEADLINE_OPTIONS = "MaxFragments=1, MaxWords=28, MinWords=12, StartSel=<mark>, StopSel=</mark>"
_WORDS = re.compile(r"\w+", re.UNICODE)


def _filters(query: CatalogQuery, dialect: str) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [listed()]
    if query.series:
        conditions.append(Content.series_id == query.series)
    if query.speaker:
        conditions.append(func.lower(Content.speaker) == query.speaker.lower())
    if query.book:
        conditions.append(
            _json_array_has(Content.scripture, {"book": query.book}, "$.book", query.book, dialect)
        )
    if query.tag:
        conditions.append(_json_array_has(Content.tags, query.tag, "$", query.tag, dialect))
    if query.since or query.until:
        day = _sermon_day(dialect)
        if query.since:
            conditions.append(day >= query.since)
        if query.until:
            conditions.append(day <= query.until)
    return conditions


def _json_array_has(
    column: Any, element: Any, path: str, value: str, dialect: str
) -> ColumnElement[bool]:
    if dialect == "postgresql":  # served by a GIN index (jsonb_path_ops) for scripture
        return type_coerce(column, JSONB).contains([element])
    entries = func.json_each(column).table_valued("value").alias("entry")
    return exists(
        select(1).select_from(entries).where(func.json_extract(entries.c.value, path) == value)
    )


def _sermon_day(dialect: str) -> ColumnElement[Any]:
    """The day a sermon was preached; its publishing day when no recorded date was given."""
    if dialect == "postgresql":
        return func.coalesce(
            Content.recorded_date, cast(func.timezone("UTC", Content.published_at), Date)
        )
    return func.coalesce(Content.recorded_date, func.date(Content.published_at))


async def catalog_page(db: AsyncSession, query: CatalogQuery) -> CatalogPage:
    dialect = db.get_bind().dialect.name
    if query.q.strip():
        return await _search(db, query, dialect)
    return await _listing(db, query, dialect)


async def _listing(db: AsyncSession, query: CatalogQuery, dialect: str) -> CatalogPage:
    # Plain rows, not ORM objects: a page's 21 entities cost more to build than the query.
    statement = select(*ITEM_FIELDS).where(*_filters(query, dialect))
    if query.cursor:
        cursor = decode_cursor(query.cursor)
        if not isinstance(cursor.key, str):
            raise_bad_cursor()
        after = _parse_time(str(cursor.key))
        statement = statement.where(
            tuple_(Content.published_at, Content.id) < tuple_(after, cursor.id)
        )
    statement = statement.order_by(Content.published_at.desc(), Content.id.desc()).limit(
        query.limit + 1
    )
    rows = list(await db.execute(statement))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        assert last.published_at is not None
        next_cursor = encode_cursor(last.published_at.isoformat(), last.id)
    return CatalogPage(items=[_item(row) for row in rows], next_cursor=next_cursor)


async def _search(db: AsyncSession, query: CatalogQuery, dialect: str) -> CatalogPage:
    if dialect == "postgresql":
        statement, rank = _postgres_search(query.q)
    else:
        match = _fts5_match(query.q)
        if not match:
            return CatalogPage(items=[], next_cursor=None)
        statement, rank = _sqlite_search(match)
    statement = statement.where(*_filters(query, dialect))
    if query.cursor:
        cursor = decode_cursor(query.cursor)
        if not isinstance(cursor.key, float | int):
            raise_bad_cursor()
        statement = statement.where(tuple_(rank, Content.id) < tuple_(float(cursor.key), cursor.id))
    statement = statement.order_by(rank.desc(), Content.id.desc()).limit(query.limit + 1)
    rows = (await db.execute(statement)).all()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    ids = [row[0].id for row in rows]
    snippets = await _transcript_matches(db, query.q, ids, dialect)
    if dialect == "postgresql":
        headlines = await _postgres_headlines(db, query.q, [i for i in ids if i not in snippets])
    else:
        headlines = {row[0].id: row[2] for row in rows}
    items = []
    for row in rows:
        content, score = row[0], float(row[1])
        item = _item(content, rank=score)
        item.match = snippets.get(content.id) or _metadata_match(headlines.get(content.id))
        items.append(item)
    next_cursor = encode_cursor(float(rows[-1][1]), rows[-1][0].id) if more and rows else None
    return CatalogPage(items=items, next_cursor=next_cursor)


def _postgres_search(q: str) -> tuple[Select[Any], ColumnElement[float]]:
    tsquery = func.websearch_to_tsquery("english", bindparam("q", q, type_=String))
    content_vector: ColumnClause[Any] = literal_column("content.search_vector")
    transcript_vector: ColumnClause[Any] = literal_column("transcripts.search_vector")
    # Title/speaker are weight A, the description B, transcript words D (ts_rank's default
    # weights 1.0/0.4/0.1): a sermon titled with the phrase outranks one that mentions it.
    rank = func.ts_rank(content_vector, tsquery) + func.coalesce(
        func.ts_rank(transcript_vector, tsquery), 0.0
    )
    rank = cast(rank, Float)
    statement = (
        select(Content, rank.label("rank"))
        .options(ITEM_COLUMNS)
        .outerjoin(Transcript, Transcript.content_id == Content.id)
        # A UNION of two index searches, not an OR across the join: each side is a bitmap scan
        # of its GIN index; the OR made PostgreSQL scan both tables whole (62 ms at 10,000).
        .where(
            Content.id.in_(
                union(
                    select(Content.id).where(content_vector.op("@@")(tsquery)),
                    select(Transcript.content_id).where(transcript_vector.op("@@")(tsquery)),
                )
            )
        )
    )
    return statement, rank


def _fts5_match(q: str) -> str:
    """User words as quoted FTS5 terms (implicit AND), so no query syntax reaches FTS5."""
    return " ".join(f'"{word}"' for word in _WORDS.findall(q.lower())[:16])


def _sqlite_search(match: str) -> tuple[Select[Any], ColumnElement[float]]:
    fts = (
        text(
            "SELECT content_id, -bm25(content_fts, 0.0, 10.0, 10.0, 4.0, 1.0) AS score, "
            "snippet(content_fts, 3, '<mark>', '</mark>', '…', 16) AS headline "
            "FROM content_fts WHERE content_fts MATCH :match"
        )
        .bindparams(match=match)
        .columns(content_id=String, score=Float, headline=String)
        .subquery("fts")
    )
    statement = (
        select(Content, fts.c.score, fts.c.headline)
        .options(ITEM_COLUMNS)
        .join(fts, fts.c.content_id == Content.id)
    )
    return statement, fts.c.score


async def _transcript_matches(
    db: AsyncSession, q: str, content_ids: list[str], dialect: str
) -> dict[str, Match]:
    """For each content whose transcript matched: the passage and the first segment holding it."""
    if not content_ids:
        return {}
    if dialect == "postgresql":
        rows = await db.execute(
            text(
                "SELECT t.content_id, ts_headline('english', t.text, query, :options), "
                "(SELECT s FROM jsonb_array_elements(t.segments) WITH ORDINALITY AS e(s, n) "
                " WHERE to_tsvector('english', coalesce(s->>'text', '')) @@ query"
                " ORDER BY n LIMIT 1), "
                "t.segments "
                "FROM transcripts t, websearch_to_tsquery('english', :q) AS query "
                "WHERE t.content_id = ANY(:ids) AND t.search_vector @@ query"
            ),
            {"q": q, "options": HEADLINE_OPTIONS, "ids": content_ids},
        )
        return {
            content_id: _with_time(headline, segment or _first_segment_with_words(segments, q))
            for content_id, headline, segment, segments in rows
        }
    rows = await db.execute(
        select(Transcript.content_id, Transcript.text, Transcript.segments).where(
            Transcript.content_id.in_(content_ids)
        )
    )
    found: dict[str, Match] = {}
    for content_id, transcript_text, segments in rows:
        segment = _first_segment_with_words(segments, q)
        if segment is not None:
            found[content_id] = _with_time(_plain_snippet(transcript_text, segment), segment)
    return found


def _first_segment_with_words(
    segments: list[dict[str, Any]] | None, q: str
) -> dict[str, Any] | None:
    """The first segment holding every query word; else the first holding the rarest-looking
    (longest) one: a phrase can straddle two segments, and the player should land just before it."""
    words = [word for word in _WORDS.findall(q.lower()) if len(word) > 2] or _WORDS.findall(
        q.lower()
    )
    if not words or not segments:
        return None
    lowered = [(segment, str(segment.get("text", "")).lower()) for segment in segments]
    for segment, said in lowered:
        if all(word in said for word in words):
            return segment
    longest = max(words, key=len)
    return next((segment for segment, said in lowered if longest in said), None)


def _with_time(snippet: str, segment: dict[str, Any] | None) -> Match:
    if segment is None:
        return Match(snippet=snippet, source="transcript")
    return Match(
        snippet=snippet,
        source="transcript",
        start=float(segment.get("start", 0.0)),
        end=float(segment["end"]) if segment.get("end") is not None else None,
    )


def _plain_snippet(transcript_text: str, segment: dict[str, Any]) -> str:
    said = str(segment.get("text", "")).strip()
    return said or transcript_text[:200]


async def _postgres_headlines(db: AsyncSession, q: str, content_ids: list[str]) -> dict[str, str]:
    """Headlines of title and description, for the page's rows only (ts_headline reads the text)."""
    if not content_ids:
        return {}
    rows = await db.execute(
        text(
            "SELECT c.id,"
            " ts_headline('english', c.title || ' — ' || c.description, query, :options) "
            "FROM content c, websearch_to_tsquery('english', :q) AS query WHERE c.id = ANY(:ids)"
        ),
        {"q": q, "options": HEADLINE_OPTIONS, "ids": content_ids},
    )
    return {content_id: headline for content_id, headline in rows}


def _metadata_match(headline: str | None) -> Match | None:
    if not headline or "<mark>" not in headline:
        return None
    return Match(snippet=headline, source="metadata")


def _item(content: Content | Row[Any], rank: float | None = None) -> CatalogItem:
    """From an entity (search) or a row of ITEM_FIELDS (listing): the same attribute names."""
    assert content.published_at is not None
    return CatalogItem(
        id=content.id,
        title=content.title,
        description=content.description,
        speaker=content.speaker,
        series_id=content.series_id,
        kind=content.kind,
        scripture=content.scripture or [],
        tags=content.tags or [],
        language=content.language,
        recorded_date=content.recorded_date,
        published_at=content.published_at,
        media_type=content.media_type,
        duration=content.duration,
        rank=rank,
    )


def _parse_time(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise_bad_cursor()
        raise


def raise_bad_cursor() -> None:
    raise BadCursor("the cursor is not one this API gave out; start again without it")
