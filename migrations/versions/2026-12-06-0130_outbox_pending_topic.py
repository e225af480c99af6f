"""the outbox's pending messages by topic

Revision ID: 0035
Revises: 0034
Created: 2026-12-06 01:30:00

A worker claims a batch of one topic's due messages (routing a burst of Sales Ready leads, sending webhooks and
email); without this partial index each claim walked past every other topic's pending messages.
"""
from alembic import op
import sqlalchemy as sa


revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_pending_topic", "outbox", ["topic", "available_at", "id"],
                    postgresql_where=sa.text("done_at IS NULL"), sqlite_where=sa.text("done_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_outbox_pending_topic", table_name="outbox")
