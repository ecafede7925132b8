"""blog icons: the bytes in blog_icons, the digest the pages link to and the next check on blogs

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from blogroll.storage.models import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _url() -> sa.types.TypeEngine[str]:
    # As blogroll.storage.models.UrlString: ASCII on MariaDB.
    ascii_url = mysql.VARCHAR(charset="ascii", collation="ascii_bin", length=2048)
    return sa.String(length=2048).with_variant(ascii_url, "mariadb").with_variant(ascii_url, "mysql")


def _bytes() -> sa.types.TypeEngine[bytes]:
    # As blogroll.storage.models.LongBinary: MariaDB's BLOB stops at 64 KiB, an icon may take 100.
    return (
        sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mariadb").with_variant(mysql.MEDIUMBLOB(), "mysql")
    )


def upgrade() -> None:
    # Null `icon_check_at`: every blog's icon is looked for at its next fetch.
    with op.batch_alter_table("blogs") as blogs:
        blogs.add_column(sa.Column("icon_digest", sa.String(length=32), nullable=True))
        blogs.add_column(sa.Column("icon_check_at", UTCDateTime(), nullable=True))
    op.create_table(
        "blog_icons",
        sa.Column("blog_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=True),
        sa.Column("data", _bytes(), nullable=True),
        sa.Column("source_url", _url(), nullable=True),
        sa.Column("fetched_at", UTCDateTime(), nullable=True),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["blog_id"], ["blogs.id"], name=op.f("fk_blog_icons_blog_id_blogs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("blog_id", name=op.f("pk_blog_icons")),
    )


def downgrade() -> None:
    op.drop_table("blog_icons")
    with op.batch_alter_table("blogs") as blogs:
        blogs.drop_column("icon_check_at")
        blogs.drop_column("icon_digest")
