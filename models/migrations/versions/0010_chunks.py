"""chunks: a long video's encode runs as several jobs of one step, one per chunk

A chunk's job has its number (1, 2, ...); every other job, the whole step's, has 0 (not NULL:
NULLs are distinct in a unique key, and the key must still say "never twice" for them).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chunk", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_constraint("uq_jobs_content_id_step_generation", type_="unique")
        batch_op.create_unique_constraint(
            "uq_jobs_content_id_step_generation_chunk",
            ["content_id", "step", "generation", "chunk"],
        )


def downgrade() -> None:
    op.execute("DELETE FROM jobs WHERE chunk <> 0")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint("uq_jobs_content_id_step_generation_chunk", type_="unique")
        batch_op.create_unique_constraint(
            "uq_jobs_content_id_step_generation", ["content_id", "step", "generation"]
        )
        batch_op.drop_column("chunk")
