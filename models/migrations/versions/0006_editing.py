"""editing: trim ranges and clips

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# SQLite's batch mode copies the table, and the copy loses the triggers that keep the catalog's
# FTS5 index in step with it (migration 0002): they are made again after each copy.
SQLITE_CONTENT_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS content_fts_insert AFTER INSERT ON content BEGIN "
    "INSERT INTO content_fts (content_id, title, speaker, description, transcript) "
    "VALUES (new.id, new.title, new.speaker, new.description, ''); END",
    "CREATE TRIGGER IF NOT EXISTS content_fts_update "
    "AFTER UPDATE OF title, speaker, description ON content "
    "BEGIN UPDATE content_fts "
    "SET title = new.title, speaker = new.speaker, description = new.description "
    "WHERE content_id = new.id; END",
    "CREATE TRIGGER IF NOT EXISTS content_fts_delete AFTER DELETE ON content BEGIN "
    "DELETE FROM content_fts WHERE content_id = old.id; END",
]


def _restore_search_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_CONTENT_TRIGGERS:
            op.execute(statement)


def upgrade() -> None:
    # batch mode: SQLite cannot add a foreign key to a table in place, so it copies the table.
    with op.batch_alter_table("content", schema=None) as batch_op:
        batch_op.add_column(sa.Column("range_start_s", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("range_end_s", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("parent_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("edit", JSON, nullable=True))
        batch_op.add_column(sa.Column("auto_trim", sa.String(length=8), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_content_parent_id_content"),
            "content",
            ["parent_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_content_parent_id"), ["parent_id"], unique=False)
    _restore_search_triggers()


def downgrade() -> None:
    with op.batch_alter_table("content", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_parent_id"))
        batch_op.drop_constraint(batch_op.f("fk_content_parent_id_content"), type_="foreignkey")
        batch_op.drop_column("auto_trim")
        batch_op.drop_column("edit")
        batch_op.drop_column("parent_id")
        batch_op.drop_column("range_end_s")
        batch_op.drop_column("range_start_s")
    _restore_search_triggers()
