"""tracking, scoring, qualification: visitors and events, rule sets and lead scores, BANT, stage history, the
Sales Ready rule, predictive models; score columns on leads

Revision ID: 0005
Revises: 0004
Created: 2026-11-25 05:00:00

The new columns of `leads` are added with plain ALTER TABLE (no batch rebuild on SQLite), so the full-text
triggers of 0004 stay in place.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('predictive_models',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('target', sa.String(length=100), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('auc', sa.Float(), nullable=True),
    sa.Column('features', sa.JSON(), nullable=False),
    sa.Column('blob', sa.LargeBinary(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_predictive_models'))
    )
    op.create_table('sales_ready_rules',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('expression', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_ready_rules')),
    sa.UniqueConstraint('version', name=op.f('uq_sales_ready_rules_version'))
    )
    op.create_table('scoring_rule_sets',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_rule_sets')),
    sa.UniqueConstraint('version', name=op.f('uq_scoring_rule_sets_version'))
    )
    with op.batch_alter_table('scoring_rule_sets', schema=None) as batch_op:
        batch_op.create_index('ix_scoring_rule_sets_status', ['status'], unique=False)

    op.create_table('scoring_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('rule_set_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('last_lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['rule_set_id'], ['scoring_rule_sets.id'], name=op.f('fk_scoring_runs_rule_set_id_scoring_rule_sets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_runs'))
    )
    op.create_table('bant_answers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('criterion', sa.String(length=12), nullable=False),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_bant_answers_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bant_answers'))
    )
    with op.batch_alter_table('bant_answers', schema=None) as batch_op:
        batch_op.create_index('ix_bant_answers_lead_id_criterion_set_at', ['lead_id', 'criterion', 'set_at'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('visitor_id', sa.String(length=64), nullable=True),
    sa.Column('type', sa.String(length=60), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('properties', sa.JSON(), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_events_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('external_id', name=op.f('uq_events_external_id'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_lead_id_occurred_at', ['lead_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_events_type_occurred_at', ['type', 'occurred_at'], unique=False)
        batch_op.create_index('ix_events_visitor_id_occurred_at', ['visitor_id', 'occurred_at'], unique=False)

    op.create_table('lead_predictions',
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('model_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('drivers', sa.JSON(), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_predictions_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['model_id'], ['predictive_models.id'], name=op.f('fk_lead_predictions_model_id_predictive_models'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lead_id', name=op.f('pk_lead_predictions'))
    )
    op.create_table('lead_scores',
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rule_set_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('behaviour', sa.Float(), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fit', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=1), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('band', sa.String(length=8), nullable=False),
    sa.Column('interests', sa.JSON(), nullable=False),
    sa.Column('contributions', sa.JSON(), nullable=False),
    sa.Column('counters', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_scores_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_set_id'], ['scoring_rule_sets.id'], name=op.f('fk_lead_scores_rule_set_id_scoring_rule_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lead_id', name=op.f('pk_lead_scores'))
    )
    op.create_table('stage_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_stage', sa.String(length=20), nullable=True),
    sa.Column('to_stage', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_stage_changes_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_changes'))
    )
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.create_index('ix_stage_changes_lead_id_changed_at', ['lead_id', 'changed_at'], unique=False)

    op.create_table('visitors',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('lead_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('identified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('identified_by', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_visitors_lead_id_leads'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visitors'))
    )
    with op.batch_alter_table('visitors', schema=None) as batch_op:
        batch_op.create_index('ix_visitors_lead_id', ['lead_id'], unique=False)

    op.add_column('leads', sa.Column('score', sa.Integer(), nullable=True))
    op.add_column('leads', sa.Column('grade', sa.String(length=1), nullable=True))
    op.add_column('leads', sa.Column('band', sa.String(length=8), nullable=True))
    op.add_column('leads', sa.Column('score_explanation', sa.JSON(), nullable=False, server_default='[]'))
    op.add_column('leads', sa.Column('interests', sa.JSON(), nullable=False, server_default='{}'))
    op.add_column('leads', sa.Column('predicted_probability', sa.Float(), nullable=True))
    op.add_column('leads', sa.Column('sales_ready_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('leads', sa.Column('disqualify_reason', sa.String(length=40), nullable=True))
    op.create_index('ix_leads_band_score_id', 'leads', ['band', 'score', 'id'], unique=False)
    op.create_index('ix_leads_grade_score_id', 'leads', ['grade', 'score', 'id'], unique=False)
    op.create_index('ix_leads_score_id', 'leads', ['score', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_leads_score_id', table_name='leads')
    op.drop_index('ix_leads_grade_score_id', table_name='leads')
    op.drop_index('ix_leads_band_score_id', table_name='leads')
    for column in ('disqualify_reason', 'sales_ready_at', 'predicted_probability', 'interests', 'score_explanation',
                   'band', 'grade', 'score'):
        op.drop_column('leads', column)
    with op.batch_alter_table('visitors', schema=None) as batch_op:
        batch_op.drop_index('ix_visitors_lead_id')

    op.drop_table('visitors')
    with op.batch_alter_table('stage_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_changes_lead_id_changed_at')

    op.drop_table('stage_changes')
    op.drop_table('lead_scores')
    op.drop_table('lead_predictions')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_visitor_id_occurred_at')
        batch_op.drop_index('ix_events_type_occurred_at')
        batch_op.drop_index('ix_events_lead_id_occurred_at')

    op.drop_table('events')
    with op.batch_alter_table('bant_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_bant_answers_lead_id_criterion_set_at')

    op.drop_table('bant_answers')
    op.drop_table('scoring_runs')
    with op.batch_alter_table('scoring_rule_sets', schema=None) as batch_op:
        batch_op.drop_index('ix_scoring_rule_sets_status')

    op.drop_table('scoring_rule_sets')
    op.drop_table('sales_ready_rules')
    op.drop_table('predictive_models')
