"""live recording: the egress file's key on the session, one recording content per session

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("live_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recording_key", sa.String(length=500), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_live_sessions_content_id"), ["content_id"])


def downgrade() -> None:
    with op.batch_alter_table("live_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_live_sessions_content_id"), type_="unique")
        batch_op.drop_column("recording_key")
