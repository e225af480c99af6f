"""inbox: sort and filter indexes on leads, full-text search (PostgreSQL GIN, SQLite FTS5), saved views

Revision ID: 0004
Revises: 0003
Created: 2026-11-25 04:00:00

On PostgreSQL the searched text is a generated tsvector column `search_vector` (not mapped: the ORM never
writes it) with a GIN index.

On SQLite the search table `leads_fts` is kept in step with `leads` by three triggers. A later migration that
rebuilds `leads` in batch mode (move and copy) drops those triggers with the old table: it must call
`create_sqlite_search()` again (or copy its SQL) after the rebuild. Autogenerate proposes to drop
`search_vector`, `leads_fts` and the expression indexes (the models do not declare them): delete those lines.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

SEARCHED = ("first_name", "last_name", "email", "company", "phone", "mobile", "city")
# PostgreSQL keeps the searched document in a generated column (leads.search_vector) with a GIN index, so a
# query can walk the sort's index and test each row cheaply as well as start from the GIN index.
POSTGRES_DOCUMENT = ("to_tsvector('simple'::regconfig, " + " || ' ' || ".join(
    "translate(coalesce(email, ''), '@.', '  ')" if c == "email" else f"coalesce({c}, '')" for c in SEARCHED) + ")")
PLAIN_INDEXES = {
    "ix_leads_updated_at_id": ["updated_at", "id"],
    "ix_leads_country_created_at_id": ["country", "created_at", "id"],
    "ix_leads_stage_created_at_id": ["stage", "created_at", "id"],
    "ix_leads_owner_id_created_at_id": ["owner_id", "created_at", "id"],
    "ix_leads_stage_id": ["stage", "id"],
    "ix_leads_last_campaign_id": ["last_campaign_id"],
}
# Sorts on nullable columns compare coalesce(column, ''), so a keyset cursor never meets a NULL.
EXPRESSION_INDEXES = {
    "ix_leads_sort_name": "coalesce(name_key, ''), id",
    "ix_leads_sort_company": "coalesce(lower(company), ''), id",
    "ix_leads_sort_country": "coalesce(country, ''), id",
    "ix_leads_stage_sort_name": "stage, coalesce(name_key, ''), id",
}


def create_sqlite_search() -> None:
    columns = ", ".join(SEARCHED)
    new = ", ".join(f"new.{c}" for c in SEARCHED)
    old = ", ".join(f"old.{c}" for c in SEARCHED)
    op.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS leads_fts USING fts5({columns}, content='leads', "
               "content_rowid='id', tokenize='unicode61 remove_diacritics 2')")
    op.execute(f"CREATE TRIGGER IF NOT EXISTS leads_fts_insert AFTER INSERT ON leads BEGIN "
               f"INSERT INTO leads_fts(rowid, {columns}) VALUES (new.id, {new}); END")
    op.execute(f"CREATE TRIGGER IF NOT EXISTS leads_fts_delete AFTER DELETE ON leads BEGIN "
               f"INSERT INTO leads_fts(leads_fts, rowid, {columns}) VALUES ('delete', old.id, {old}); END")
    op.execute(f"CREATE TRIGGER IF NOT EXISTS leads_fts_update AFTER UPDATE OF {columns} ON leads BEGIN "
               f"INSERT INTO leads_fts(leads_fts, rowid, {columns}) VALUES ('delete', old.id, {old}); "
               f"INSERT INTO leads_fts(rowid, {columns}) VALUES (new.id, {new}); END")
    op.execute("INSERT INTO leads_fts(leads_fts) VALUES ('rebuild')")


def upgrade() -> None:
    op.create_table('saved_views',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_views_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_views')),
    sa.UniqueConstraint('user_id', 'name', name=op.f('uq_saved_views_user_id'))
    )
    for name, columns in PLAIN_INDEXES.items():
        op.create_index(name, 'leads', columns, unique=False)
    for name, expression in EXPRESSION_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON leads ({expression})")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE leads ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({POSTGRES_DOCUMENT}) "
                   "STORED")
        op.execute("CREATE INDEX ix_leads_search ON leads USING gin (search_vector)")
    else:
        create_sqlite_search()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_leads_search")
        op.execute("ALTER TABLE leads DROP COLUMN IF EXISTS search_vector")
    else:
        for trigger in ("leads_fts_insert", "leads_fts_delete", "leads_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS leads_fts")
    for name in EXPRESSION_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for name in PLAIN_INDEXES:
        op.drop_index(name, table_name='leads')
    op.drop_table('saved_views')
