"""capture retry: a capture that could not be processed keeps what its channel read and when to try again

Revision ID: 0030
Revises: 0010
Created: 2026-12-05 16:00:00

`retry_at` is set only on a capture left pending by a failure (the worker's capture.retry job re-processes it);
a Meta lead awaiting its fields is pending without it. `submission` holds what the channel read, until the
capture is processed; `attempts` counts the failures.
"""
from alembic import op
import sqlalchemy as sa


revision = '0030'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("captures") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("submission", sa.JSON(), nullable=True))
        batch.create_index("ix_captures_retry_at", ["retry_at"])


def downgrade() -> None:
    with op.batch_alter_table("captures") as batch:
        batch.drop_index("ix_captures_retry_at")
        batch.drop_column("submission")
        batch.drop_column("retry_at")
        batch.drop_column("attempts")
