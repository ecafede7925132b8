"""blogs.claimed_by: which worker holds a claim, so a restarted worker takes its own back at once

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("blogs", sa.Column("claimed_by", sa.String(length=255), nullable=True))


def downgrade() -> None:
    op.drop_column("blogs", "claimed_by")
