"""forecast snapshots: what the weighted pipeline said each day per close month, owner and currency, and the days
taken (the forecast's accuracy on past months)

Revision ID: 0038
Revises: 0036
Created: 2026-12-06 07:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('forecast_snapshots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.Column('close_month', sa.String(length=7), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('owner_key', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('weighted', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('open_value', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('open_count', sa.Integer(), nullable=False),
    sa.Column('won_value', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forecast_snapshots')),
    sa.UniqueConstraint('taken_on', 'close_month', 'owner_key', 'currency',
                        name=op.f('uq_forecast_snapshots_taken_on'))
    )
    op.create_index('ix_forecast_snapshots_close_month_taken_on', 'forecast_snapshots',
                    ['close_month', 'taken_on'], unique=False)
    op.create_table('forecast_snapshot_days',
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('taken_on', name=op.f('pk_forecast_snapshot_days'))
    )


def downgrade() -> None:
    op.drop_table('forecast_snapshot_days')
    op.drop_index('ix_forecast_snapshots_close_month_taken_on', table_name='forecast_snapshots')
    op.drop_table('forecast_snapshots')
