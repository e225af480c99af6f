"""every email and phone a lead was captured with; a lead merged away can take no other lead (no merge cycles);
captures keep their record's fingerprint

Revision ID: 0006
Revises: 0005
Created: 2026-12-05 15:00:00

The columns are added with plain ALTER TABLE (no batch rebuild on SQLite), so the full-text triggers of 0004 stay
in place. The trigger refuses to point `merged_into_id` at a lead that is itself merged away (or at itself): with
that, merges form trees whose roots are the surviving leads, and a cycle cannot be written, whatever the
application does. On PostgreSQL it takes a share lock on the target row, so two crossing merges cannot both pass.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

MESSAGE = "a lead can only be merged into a surviving lead"


def upgrade() -> None:
    op.add_column('leads', sa.Column('other_emails', sa.JSON(), nullable=False, server_default='[]'))
    op.add_column('leads', sa.Column('other_phones', sa.JSON(), nullable=False, server_default='[]'))
    op.add_column('captures', sa.Column('fingerprint', sa.String(length=32), nullable=True))
    op.create_index('ix_captures_fingerprint', 'captures', ['fingerprint'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"""
            CREATE FUNCTION leads_merge_into_survivor() RETURNS trigger AS $$
            BEGIN
                IF NEW.merged_into_id = NEW.id THEN
                    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23514';
                END IF;
                PERFORM 1 FROM leads WHERE id = NEW.merged_into_id AND merged_into_id IS NULL FOR SHARE;
                IF NOT FOUND THEN
                    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = '23514';
                END IF;
                RETURN NEW;
            END
            $$ LANGUAGE plpgsql""")
        op.execute("""
            CREATE TRIGGER leads_merge_into_survivor BEFORE INSERT OR UPDATE OF merged_into_id ON leads
            FOR EACH ROW WHEN (NEW.merged_into_id IS NOT NULL)
            EXECUTE FUNCTION leads_merge_into_survivor()""")
    else:
        for event in ('INSERT', 'UPDATE OF merged_into_id'):
            name = 'leads_merge_into_survivor_' + event.split()[0].lower()
            op.execute(f"""
                CREATE TRIGGER {name} BEFORE {event} ON leads
                FOR EACH ROW WHEN NEW.merged_into_id IS NOT NULL
                BEGIN
                    SELECT RAISE(ABORT, '{MESSAGE}')
                    WHERE NEW.merged_into_id = NEW.id
                       OR NOT EXISTS (SELECT 1 FROM leads WHERE id = NEW.merged_into_id AND merged_into_id IS NULL);
                END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS leads_merge_into_survivor ON leads")
        op.execute("DROP FUNCTION IF EXISTS leads_merge_into_survivor()")
    else:
        op.execute("DROP TRIGGER IF EXISTS leads_merge_into_survivor_insert")
        op.execute("DROP TRIGGER IF EXISTS leads_merge_into_survivor_update")
    op.drop_index('ix_captures_fingerprint', table_name='captures')
    op.drop_column('captures', 'fingerprint')
    op.drop_column('leads', 'other_phones')
    op.drop_column('leads', 'other_emails')
