"""catalog search: full-text indexes over content and transcripts

PostgreSQL: generated tsvector columns with GIN indexes (title and speaker weigh most, then the
description; transcripts have their own), and a GIN index on scripture for the book filter.
SQLite (the embedded setup): one FTS5 table kept in step by triggers.

The generated columns are not mapped on the models (SQLite has none); api/catalog/search.py
names them. Autogenerate would propose dropping them: keep them out of generated revisions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 21:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTENT_VECTOR = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(speaker, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(description, '')), 'B')"
)

SQLITE_UP = [
    "CREATE VIRTUAL TABLE content_fts USING fts5("
    "content_id UNINDEXED, title, speaker, description, transcript, tokenize='porter unicode61')",
    "INSERT INTO content_fts (content_id, title, speaker, description, transcript) "
    "SELECT c.id, c.title, c.speaker, c.description, coalesce(t.text, '') "
    "FROM content c LEFT JOIN transcripts t ON t.content_id = c.id",
    "CREATE TRIGGER content_fts_insert AFTER INSERT ON content BEGIN "
    "INSERT INTO content_fts (content_id, title, speaker, description, transcript) "
    "VALUES (new.id, new.title, new.speaker, new.description, ''); END",
    "CREATE TRIGGER content_fts_update AFTER UPDATE OF title, speaker, description ON content "
    "BEGIN UPDATE content_fts "
    "SET title = new.title, speaker = new.speaker, description = new.description "
    "WHERE content_id = new.id; END",
    "CREATE TRIGGER content_fts_delete AFTER DELETE ON content BEGIN "
    "DELETE FROM content_fts WHERE content_id = old.id; END",
    "CREATE TRIGGER transcript_fts_insert AFTER INSERT ON transcripts BEGIN "
    "UPDATE content_fts SET transcript = new.text WHERE content_id = new.content_id; END",
    "CREATE TRIGGER transcript_fts_update AFTER UPDATE OF text ON transcripts BEGIN "
    "UPDATE content_fts SET transcript = new.text WHERE content_id = new.content_id; END",
    "CREATE TRIGGER transcript_fts_delete AFTER DELETE ON transcripts BEGIN "
    "UPDATE content_fts SET transcript = '' WHERE content_id = old.content_id; END",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            f"ALTER TABLE content ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({CONTENT_VECTOR}) STORED"
        )
        op.execute("CREATE INDEX ix_content_search_vector ON content USING GIN (search_vector)")
        op.execute(
            "ALTER TABLE transcripts ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english', coalesce(text, ''))) STORED"
        )
        op.execute(
            "CREATE INDEX ix_transcripts_search_vector ON transcripts USING GIN (search_vector)"
        )
        op.execute(
            "CREATE INDEX ix_content_scripture ON content USING GIN (scripture jsonb_path_ops)"
        )
    elif dialect == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_content_scripture")
        op.execute("ALTER TABLE transcripts DROP COLUMN IF EXISTS search_vector")
        op.execute("ALTER TABLE content DROP COLUMN IF EXISTS search_vector")
    elif dialect == "sqlite":
        for name in (
            "content_fts_insert",
            "content_fts_update",
            "content_fts_delete",
            "transcript_fts_insert",
            "transcript_fts_update",
            "transcript_fts_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS content_fts")
