"""admin failing-first index: the admin table's default order reads a page of an index

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in 0007: MariaDB indexes no expressions, so there the admin table keeps its sort.
ENGINES_WITH_EXPRESSION_INDEXES = ("sqlite", "postgresql")


def upgrade() -> None:
    if op.get_context().dialect.name in ENGINES_WITH_EXPRESSION_INDEXES:
        op.create_index(
            "ix_blogs_failing_first",
            "blogs",
            [sa.text("consecutive_errors DESC"), "enabled", sa.text("lower(name)"), "id"],
        )


def downgrade() -> None:
    if op.get_context().dialect.name in ENGINES_WITH_EXPRESSION_INDEXES:
        op.drop_index("ix_blogs_failing_first", table_name="blogs")
