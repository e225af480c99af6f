"""journeys: journeys, their versions, runs, durable step rows and the events runs heard

Revision ID: 0044
Revises: 0040, 0041, 0042
Created: 2026-12-06 09:23:53.960696
"""
from alembic import op
import sqlalchemy as sa


revision = '0044'
down_revision = ('0040', '0041', '0042')
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('journeys',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('live_version_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeys')),
    sa.UniqueConstraint('name', name=op.f('uq_journeys_name'))
    )
    op.create_table('journey_versions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('journey_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], name=op.f('fk_journey_versions_journey_id_journeys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_versions')),
    sa.UniqueConstraint('journey_id', 'number', name=op.f('uq_journey_versions_journey_id'))
    )
    op.create_table('journey_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('journey_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('step_id', sa.String(length=40), nullable=True),
    sa.Column('visits', sa.JSON(), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=300), nullable=True),
    sa.Column('entry', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], name=op.f('fk_journey_runs_journey_id_journeys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_journey_runs_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['journey_versions.id'], name=op.f('fk_journey_runs_version_id_journey_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_runs')),
    sa.UniqueConstraint('journey_id', 'lead_id', 'number', name=op.f('uq_journey_runs_journey_id'))
    )
    with op.batch_alter_table('journey_runs', schema=None) as batch_op:
        batch_op.create_index('ix_journey_runs_journey_id_status', ['journey_id', 'status'], unique=False)
        batch_op.create_index('ix_journey_runs_lead_id_status', ['lead_id', 'status'], unique=False)

    op.create_table('journey_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('form_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('outcome', sa.String(length=100), nullable=True),
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['journey_runs.id'], name=op.f('fk_journey_events_run_id_journey_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_events'))
    )
    with op.batch_alter_table('journey_events', schema=None) as batch_op:
        batch_op.create_index('ix_journey_events_run_id', ['run_id'], unique=False)

    op.create_table('journey_steps',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('journey_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('step_id', sa.String(length=40), nullable=False),
    sa.Column('visit', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('waits_for', sa.JSON(), nullable=True),
    sa.Column('timeout_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=300), nullable=True),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['journey_runs.id'], name=op.f('fk_journey_steps_run_id_journey_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_steps')),
    sa.UniqueConstraint('run_id', 'step_id', 'visit', name=op.f('uq_journey_steps_run_id'))
    )
    with op.batch_alter_table('journey_steps', schema=None) as batch_op:
        batch_op.create_index('ix_journey_steps_due', ['due_at'], unique=False, postgresql_where=sa.text('done_at IS NULL'), sqlite_where=sa.text('done_at IS NULL'))
        batch_op.create_index('ix_journey_steps_journey_id_step_id', ['journey_id', 'step_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('journey_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_steps_journey_id_step_id')
        batch_op.drop_index('ix_journey_steps_due', postgresql_where=sa.text('done_at IS NULL'), sqlite_where=sa.text('done_at IS NULL'))

    op.drop_table('journey_steps')
    with op.batch_alter_table('journey_events', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_events_run_id')

    op.drop_table('journey_events')
    with op.batch_alter_table('journey_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_runs_lead_id_status')
        batch_op.drop_index('ix_journey_runs_journey_id_status')

    op.drop_table('journey_runs')
    op.drop_table('journey_versions')
    op.drop_table('journeys')
