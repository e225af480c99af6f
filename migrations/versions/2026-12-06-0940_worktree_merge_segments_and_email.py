"""worktree only: joins the segments branch (0040) and the email branch (0042, 0043) so h/sends migrates to one head;
the lead engineer drops this file when re-chaining 0040..0044.

Revision ID: 0043m
Revises: 0040, 0043
"""

revision = '0043m'
down_revision = ('0040', '0043')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
