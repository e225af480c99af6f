"""routing: rule sets, round-robin cursors, members' capacities, assignments; a lead's queue

Revision ID: 0032
Revises: 0031
Created: 2026-12-05 23:41:25

Routing takes a Sales Ready lead to its owner by rules as data; every assignment keeps why (the rule, the members
considered, who was skipped and why). A lead nobody can take waits in a queue (`leads.queue`) managers see.
"""
from alembic import op
import sqlalchemy as sa


revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('routing_rule_sets',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rule_sets')),
    sa.UniqueConstraint('version', name=op.f('uq_routing_rule_sets_version'))
    )
    with op.batch_alter_table('routing_rule_sets', schema=None) as batch_op:
        batch_op.create_index('ix_routing_rule_sets_status', ['status'], unique=False)

    op.create_table('routing_members',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('max_open', sa.Integer(), nullable=True),
    sa.Column('max_per_day', sa.Integer(), nullable=True),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_routing_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_routing_members'))
    )
    op.create_table('assignments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('queue', sa.String(length=200), nullable=True),
    sa.Column('previous_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('trigger', sa.String(length=40), nullable=False),
    sa.Column('rule', sa.String(length=200), nullable=True),
    sa.Column('rule_set_version', sa.Integer(), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_assignments_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['previous_user_id'], ['users.id'], name=op.f('fk_assignments_previous_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assignments_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_lead_id_assigned_at', ['lead_id', 'assigned_at'], unique=False)
        batch_op.create_index('ix_assignments_queue_assigned_at', ['queue', 'assigned_at'], unique=False)
        batch_op.create_index('ix_assignments_user_id_assigned_at', ['user_id', 'assigned_at'], unique=False)

    op.create_table('routing_cursors',
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_routing_cursors_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', name=op.f('pk_routing_cursors'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('owner_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_leads_queue'), ['queue'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leads_queue'))
        batch_op.drop_column('owner_seen_at')
        batch_op.drop_column('assigned_at')
        batch_op.drop_column('queue')
    op.drop_table('routing_cursors')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_user_id_assigned_at')
        batch_op.drop_index('ix_assignments_queue_assigned_at')
        batch_op.drop_index('ix_assignments_lead_id_assigned_at')
    op.drop_table('assignments')
    op.drop_table('routing_members')
    with op.batch_alter_table('routing_rule_sets', schema=None) as batch_op:
        batch_op.drop_index('ix_routing_rule_sets_status')
    op.drop_table('routing_rule_sets')
