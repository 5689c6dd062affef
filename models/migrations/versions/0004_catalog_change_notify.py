"""catalog change feed: NOTIFY cnt_catalog_changed when a table the cached answers read changes

API processes cache anonymous catalog pages and public playback answers (api/response_cache)
and LISTEN on this channel to drop them. Statement-level triggers: a bulk write notifies once;
the payload is always empty, so PostgreSQL folds a transaction's notifications into one, sent
at commit.
Content, assets (playback URLs) and transcripts (search) are what those answers read; a deleted
series reaches content through its ON DELETE SET NULL, which fires content's trigger.
SQLite (the embedded setup) has no NOTIFY: nothing to do there, and its API caches nothing.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 23:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "cnt_catalog_changed"  # api.response_cache.listener.CHANNEL
TABLES = ("content", "assets", "transcripts")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION cnt_notify_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_notify('{CHANNEL}', ''); RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_catalog_changed "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION cnt_notify_catalog_changed()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_changed ON {table}")
    op.execute("DROP FUNCTION IF EXISTS cnt_notify_catalog_changed()")
