"""added tracks: audio recordings added to a video later, and the job that adds each one

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KEY = ("content_id", "step", "generation", "chunk")
NEW_KEY = (*OLD_KEY, "track")


def upgrade() -> None:
    op.create_table(
        "added_tracks",
        sa.Column("content_id", sa.String(length=36), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("source_key", sa.String(length=500), nullable=False),
        sa.Column("source_bytes", sa.BigInteger(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["content.id"],
            name=op.f("fk_added_tracks_content_id_content"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_added_tracks")),
        sa.UniqueConstraint(
            "content_id", "language", name=op.f("uq_added_tracks_content_id_language")
        ),
    )
    with op.batch_alter_table("added_tracks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_added_tracks_content_id"), ["content_id"], unique=False
        )
    # A job adds one track: two languages added to one generation are two jobs. '' (not NULL)
    # for every other step, so the unique key still says "never twice" for them.
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("track", sa.String(length=35), nullable=False, server_default="")
        )
        batch_op.drop_constraint("uq_jobs_" + "_".join(OLD_KEY), type_="unique")
        batch_op.create_unique_constraint("uq_jobs_" + "_".join(NEW_KEY), list(NEW_KEY))


def downgrade() -> None:
    op.execute("DELETE FROM jobs WHERE track <> ''")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint("uq_jobs_" + "_".join(NEW_KEY), type_="unique")
        batch_op.create_unique_constraint("uq_jobs_" + "_".join(OLD_KEY), list(OLD_KEY))
        batch_op.drop_column("track")
    with op.batch_alter_table("added_tracks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_added_tracks_content_id"))
    op.drop_table("added_tracks")
