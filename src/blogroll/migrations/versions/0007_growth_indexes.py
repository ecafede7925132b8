"""growth indexes: the alphabetical blogroll reads a page of an index on lower(name), id

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# MariaDB indexes no expressions (see blogroll.storage.models.Blog): there /blogs/ keeps its sort.
ENGINES_WITH_EXPRESSION_INDEXES = ("sqlite", "postgresql")


def upgrade() -> None:
    if op.get_context().dialect.name in ENGINES_WITH_EXPRESSION_INDEXES:
        op.create_index("ix_blogs_lower_name_id", "blogs", [sa.text("lower(name)"), "id"])


def downgrade() -> None:
    if op.get_context().dialect.name in ENGINES_WITH_EXPRESSION_INDEXES:
        op.drop_index("ix_blogs_lower_name_id", table_name="blogs")
