"""ad spend: spend_imports (each uploaded report, stored as it came), and on campaign_costs the period's last day,
the platform, its campaign id, the import key a re-import replaces by, the import a cost came from

Revision ID: 0037
Revises: 0036
Created: 2026-12-06 07:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('spend_imports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spend_imports'))
    )
    with op.batch_alter_table('campaign_costs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spent_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('platform', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('external_ref', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('import_key', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('spend_import_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_index('ix_campaign_costs_platform_external_ref', ['platform', 'external_ref'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_campaign_costs_import_key'), ['import_key'])
        batch_op.create_foreign_key(batch_op.f('fk_campaign_costs_spend_import_id_spend_imports'), 'spend_imports', ['spend_import_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('campaign_costs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_campaign_costs_spend_import_id_spend_imports'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_campaign_costs_import_key'), type_='unique')
        batch_op.drop_index('ix_campaign_costs_platform_external_ref')
        batch_op.drop_column('spend_import_id')
        batch_op.drop_column('import_key')
        batch_op.drop_column('external_ref')
        batch_op.drop_column('platform')
        batch_op.drop_column('spent_until')

    op.drop_table('spend_imports')
