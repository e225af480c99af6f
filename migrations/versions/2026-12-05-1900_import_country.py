"""an import's country and its set-aside values

Revision ID: 0031
Revises: 0030
Created: 2026-12-05 19:00:00

`country` reads the file's phone numbers written without +country code (a row's own country column comes
first); `set_aside` counts rows imported with a value that could not be read (a phone, an email), kept on the lead
as given instead of losing the row.
"""
from alembic import op
import sqlalchemy as sa


revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("imports") as batch:
        batch.add_column(sa.Column("country", sa.String(2), nullable=True))
        batch.add_column(sa.Column("set_aside", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("imports") as batch:
        batch.drop_column("set_aside")
        batch.drop_column("country")
