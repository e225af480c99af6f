"""tracking: events that count for nothing say why (a repeat or machine open of an email)

Revision ID: 0010
Revises: 0006
Created: 2026-12-05 15:00:00

A nullable column added with plain ALTER TABLE on both databases: no rewrite of the events table.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('events', sa.Column('unscored', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('unscored')
