"""email: a message remembers the A/B test it belongs to (email_messages.experiment_id), so a test used in journeys
has results of its own

Revision ID: 0045
Revises: 0044
Created: 2026-12-06 13:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0045'
down_revision = '0044'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('experiment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
        batch_op.create_index('ix_email_messages_experiment_id', ['experiment_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('email_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_email_messages_experiment_id')
        batch_op.drop_column('experiment_id')
