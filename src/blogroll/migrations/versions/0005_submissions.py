"""submissions: blogs suggested by readers, waiting for a keeper's approval

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from blogroll.storage.models import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _url() -> sa.types.TypeEngine[str]:
    # As blogroll.storage.models.UrlString: ASCII on MariaDB, so an index on 2048 characters fits.
    ascii_url = mysql.VARCHAR(charset="ascii", collation="ascii_bin", length=2048)
    return sa.String(length=2048).with_variant(ascii_url, "mariadb").with_variant(ascii_url, "mysql")


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_url", _url(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("feed_url", _url(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("discovery", sa.Text(), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("blog_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["blog_id"], ["blogs.id"], name=op.f("fk_submissions_blog_id_blogs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
    )
    for column in ("site_url", "feed_url", "status", "client_address", "created_at"):
        op.create_index(op.f(f"ix_submissions_{column}"), "submissions", [column])


def downgrade() -> None:
    op.drop_table("submissions")
