"""telemarketing: call lists' plans and queues (entries), calls and call scripts; call lists shared by a team.
The lists made before get a plan with the defaults and their leads an entry each, waiting.

Revision ID: 0046
Revises: 0045
Created: 2026-12-06 16:07:23.442637
"""
from alembic import op
import sqlalchemy as sa


revision = '0046'
down_revision = '0045'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('call_scripts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('intro', sa.Text(), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_call_scripts_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_scripts')),
    sa.UniqueConstraint('name', name=op.f('uq_call_scripts_name'))
    )
    with op.batch_alter_table('call_scripts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_scripts_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('call_script_versions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('script_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('intro', sa.Text(), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['script_id'], ['call_scripts.id'], name=op.f('fk_call_script_versions_script_id_call_scripts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_script_versions')),
    sa.UniqueConstraint('script_id', 'version', name=op.f('uq_call_script_versions_script_id'))
    )
    op.create_table('call_list_entries',
    sa.Column('call_list_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('tier', sa.SmallInteger(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('zone', sa.String(length=64), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('callback_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('claimed_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_outcome', sa.String(length=20), nullable=True),
    sa.Column('why', sa.String(length=300), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['call_list_id'], ['call_lists.id'], name=op.f('fk_call_list_entries_call_list_id_call_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['callback_user_id'], ['users.id'], name=op.f('fk_call_list_entries_callback_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['claimed_by'], ['users.id'], name=op.f('fk_call_list_entries_claimed_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_call_list_entries_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_list_id', 'lead_id', name=op.f('pk_call_list_entries'))
    )
    with op.batch_alter_table('call_list_entries', schema=None) as batch_op:
        batch_op.create_index('ix_call_list_entries_claimed_by', ['claimed_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_list_entries_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index('ix_call_list_entries_queue', ['call_list_id', 'state', 'tier', 'rank', 'lead_id'], unique=False)

    op.create_table('call_list_plans',
    sa.Column('call_list_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('segment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('condition', sa.Text(), nullable=True),
    sa.Column('import_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('live', sa.Boolean(), nullable=False),
    sa.Column('script_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('hours_from', sa.Integer(), nullable=False),
    sa.Column('hours_to', sa.Integer(), nullable=False),
    sa.Column('days', sa.String(length=7), nullable=False),
    sa.Column('default_zone', sa.String(length=64), nullable=False),
    sa.Column('zones', sa.JSON(), nullable=False),
    sa.Column('claim_minutes', sa.Integer(), nullable=False),
    sa.Column('retry_minutes', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('build_run', sa.Integer(), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('added_count', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_list_id'], ['call_lists.id'], name=op.f('fk_call_list_plans_call_list_id_call_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_call_list_plans_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['import_id'], ['imports.id'], name=op.f('fk_call_list_plans_import_id_imports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['script_id'], ['call_scripts.id'], name=op.f('fk_call_list_plans_script_id_call_scripts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], name=op.f('fk_call_list_plans_segment_id_segments'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('call_list_id', name=op.f('pk_call_list_plans'))
    )
    with op.batch_alter_table('call_list_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_list_plans_segment_id'), ['segment_id'], unique=False)

    op.create_table('calls',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('call_list_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('reached', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.Column('callback_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('script_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('script_version', sa.Integer(), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('next_step', sa.String(length=300), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('key', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_list_id'], ['call_lists.id'], name=op.f('fk_calls_call_list_id_call_lists'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_calls_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_calls_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['script_id'], ['call_scripts.id'], name=op.f('fk_calls_script_id_call_scripts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calls_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calls')),
    sa.UniqueConstraint('key', name=op.f('uq_calls_key'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index('ix_calls_call_list_id_ended_at', ['call_list_id', 'ended_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index('ix_calls_user_id_ended_at', ['user_id', 'ended_at'], unique=False)

    with op.batch_alter_table('call_lists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_index(batch_op.f('ix_call_lists_team_id'), ['team_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_call_lists_team_id_teams'), 'teams', ['team_id'], ['id'], ondelete='SET NULL')

    # The lists made before: a plan with the defaults, and every lead on them waiting (unscored tier, zone unknown).
    op.execute(
        "INSERT INTO call_list_plans (call_list_id, source, live, hours_from, hours_to, days, default_zone, zones, "
        "claim_minutes, retry_minutes, max_attempts, targets, status, build_run, added_count, skipped, updated_at) "
        "SELECT id, 'manual', false, 540, 1080, '12345', 'UTC', '[\"UTC\"]', 15, 120, 5, '{}', 'active', 0, 0, "
        "'{}', created_at FROM call_lists")
    op.execute(
        "INSERT INTO call_list_entries (call_list_id, lead_id, state, tier, rank, zone, attempts, why, added_at) "
        "SELECT call_list_id, lead_id, 'waiting', 5, 0, 'UTC', 0, 'on the list before telemarketing', added_at "
        "FROM call_list_leads")



def downgrade() -> None:
    with op.batch_alter_table('call_lists', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_call_lists_team_id_teams'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_call_lists_team_id'))
        batch_op.drop_column('team_id')

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_user_id_ended_at')
        batch_op.drop_index(batch_op.f('ix_calls_lead_id'))
        batch_op.drop_index('ix_calls_call_list_id_ended_at')

    op.drop_table('calls')
    with op.batch_alter_table('call_list_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_list_plans_segment_id'))

    op.drop_table('call_list_plans')
    with op.batch_alter_table('call_list_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_call_list_entries_queue')
        batch_op.drop_index(batch_op.f('ix_call_list_entries_lead_id'))
        batch_op.drop_index('ix_call_list_entries_claimed_by')

    op.drop_table('call_list_entries')
    op.drop_table('call_script_versions')
    with op.batch_alter_table('call_scripts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_scripts_campaign_id'))

    op.drop_table('call_scripts')
