"""feed health: why a blog is paused, since when it fails, and when the workers last pruned entries

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from blogroll.storage.models import UTCDateTime, utcnow

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The words of blogroll.storage.blogs and blogroll.worker.store at the time of this migration.
GONE_REASON = "paused: the feed answered 410 Gone (it was removed)"
KEEPER_REASON = "paused by a keeper"


def upgrade() -> None:
    with op.batch_alter_table("blogs") as blogs:
        blogs.add_column(sa.Column("failing_since", UTCDateTime(), nullable=True))
        blogs.add_column(sa.Column("paused_reason", sa.Text(), nullable=True))
    # A blog failing now has failed since some unknown time: its count of days starts today, so the
    # upgrade itself pauses nothing.
    table = sa.table(
        "blogs",
        sa.column("failing_since", UTCDateTime()),
        sa.column("consecutive_errors", sa.Integer()),
        sa.column("enabled", sa.Boolean()),
        sa.column("last_status", sa.Integer()),
        sa.column("paused_reason", sa.Text()),
    )
    op.execute(table.update().where(table.c.consecutive_errors > 0).values(failing_since=utcnow()))
    # Blogs already paused say why in the new words: a 410 paused them, else a keeper did.
    paused = table.c.enabled == sa.false()
    op.execute(table.update().where(paused, table.c.last_status == 410).values(paused_reason=GONE_REASON))
    op.execute(
        table.update().where(paused, table.c.paused_reason.is_(None)).values(paused_reason=KEEPER_REASON)
    )
    op.create_table(
        "worker_tasks",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("last_run_at", UTCDateTime(), nullable=False),
        sa.Column("last_run_by", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_tasks")),
    )


def downgrade() -> None:
    op.drop_table("worker_tasks")
    with op.batch_alter_table("blogs") as blogs:
        blogs.drop_column("paused_reason")
        blogs.drop_column("failing_since")
