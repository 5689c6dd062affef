"""platform, more: change notifications for the community and playlists; playlist cover images

The API's response cache keeps the community feed (per audience) and public playlist pages, and
each process keeps accounts' roles (api/auth/role_cache.py); PostgreSQL tells every API process
when what they read changes, on the channel migration 0004 made:
- posts, comments, reactions, playlists, playlist_items: statement-level, the table's name as
  the payload (a bulk write notifies once; a transaction's identical notifications fold into
  one, sent at commit);
- users: a row-level trigger when a role, the disabled flag or a display name really changes,
  or an account is deleted, with `users:{id}` as the payload (the role cache forgets that one).
A playlist's uploaded cover is kept like a post's image: its web renditions as JSON.
SQLite (the embedded setup) has no NOTIFY and caches nothing: only the column there.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "cnt_catalog_changed"  # api.response_cache.listener.CHANNEL
TABLES = ("posts", "comments", "reactions", "playlists", "playlist_items")


def upgrade() -> None:
    with op.batch_alter_table("playlists") as batch:
        batch.add_column(
            sa.Column(
                "cover_image",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                nullable=True,
            )
        )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION cnt_notify_table_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME); RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_table_changed "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION cnt_notify_table_changed()"
        )
    op.execute(
        "CREATE FUNCTION cnt_notify_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_notify('{CHANNEL}', 'users:' || OLD.id); RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER users_account_changed AFTER UPDATE ON users FOR EACH ROW "
        "WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.disabled IS DISTINCT FROM NEW.disabled "
        "OR OLD.display_name IS DISTINCT FROM NEW.display_name OR OLD.id IS DISTINCT FROM NEW.id) "
        "EXECUTE FUNCTION cnt_notify_account_changed()"
    )
    op.execute(
        "CREATE TRIGGER users_account_deleted AFTER DELETE ON users FOR EACH ROW "
        "EXECUTE FUNCTION cnt_notify_account_changed()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS users_account_deleted ON users")
        op.execute("DROP TRIGGER IF EXISTS users_account_changed ON users")
        op.execute("DROP FUNCTION IF EXISTS cnt_notify_account_changed()")
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_table_changed ON {table}")
        op.execute("DROP FUNCTION IF EXISTS cnt_notify_table_changed()")
    with op.batch_alter_table("playlists") as batch:
        batch.drop_column("cover_image")
