"""blogs, tags, entries and api tokens

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

import blogroll.storage.models

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """One function per table, in an order where every foreign key finds its table."""
    _create_api_tokens()
    _create_blogs()
    _create_blog_tags()
    _create_entries()


def _create_api_tokens() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", blogroll.storage.models.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", blogroll.storage.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("name", name=op.f("uq_api_tokens_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )


def _create_blogs() -> None:
    op.create_table(
        "blogs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "site_url",
            sa.String(length=2048)
            .with_variant(mysql.VARCHAR(charset="ascii", collation="ascii_bin", length=2048), "mariadb")
            .with_variant(mysql.VARCHAR(charset="ascii", collation="ascii_bin", length=2048), "mysql"),
            nullable=True,
        ),
        sa.Column(
            "feed_url",
            sa.String(length=2048)
            .with_variant(mysql.VARCHAR(charset="ascii", collation="ascii_bin", length=2048), "mariadb")
            .with_variant(mysql.VARCHAR(charset="ascii", collation="ascii_bin", length=2048), "mysql"),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", blogroll.storage.models.UTCDateTime(), nullable=False),
        sa.Column("updated_at", blogroll.storage.models.UTCDateTime(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_fetched_at", blogroll.storage.models.UTCDateTime(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("etag", sa.String(length=512), nullable=True),
        sa.Column("last_modified", sa.String(length=128), nullable=True),
        sa.Column("consecutive_errors", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_fetch_at", blogroll.storage.models.UTCDateTime(), nullable=False),
        sa.Column("claimed_until", blogroll.storage.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blogs")),
        sa.UniqueConstraint("feed_url", name=op.f("uq_blogs_feed_url")),
    )
    op.create_index(op.f("ix_blogs_next_fetch_at"), "blogs", ["next_fetch_at"], unique=False)


def _create_blog_tags() -> None:
    op.create_table(
        "blog_tags",
        sa.Column("blog_id", sa.Integer(), nullable=False),
        sa.Column(
            "tag",
            sa.String(length=50)
            .with_variant(mysql.VARCHAR(collation="utf8mb4_bin", length=50), "mariadb")
            .with_variant(mysql.VARCHAR(collation="utf8mb4_bin", length=50), "mysql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["blog_id"], ["blogs.id"], name=op.f("fk_blog_tags_blog_id_blogs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("blog_id", "tag", name=op.f("pk_blog_tags")),
    )
    op.create_index(op.f("ix_blog_tags_tag"), "blog_tags", ["tag"], unique=False)


def _create_entries() -> None:
    op.create_table(
        "entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("blog_id", sa.Integer(), nullable=False),
        sa.Column("guid", sa.Text(), nullable=False),
        sa.Column("guid_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column(
            "link",
            sa.String(length=2048)
            .with_variant(mysql.VARCHAR(charset="ascii", collation="ascii_bin", length=2048), "mariadb")
            .with_variant(mysql.VARCHAR(charset="ascii", collation="ascii_bin", length=2048), "mysql"),
            nullable=True,
        ),
        sa.Column("author", sa.String(length=500), nullable=False),
        sa.Column(
            "summary",
            sa.Text().with_variant(mysql.MEDIUMTEXT(), "mariadb").with_variant(mysql.MEDIUMTEXT(), "mysql"),
            nullable=False,
        ),
        sa.Column("published_at", blogroll.storage.models.UTCDateTime(), nullable=False),
        sa.Column("fetched_at", blogroll.storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blog_id"], ["blogs.id"], name=op.f("fk_entries_blog_id_blogs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entries")),
        sa.UniqueConstraint("blog_id", "guid_hash", name="uq_entries_blog_id_guid_hash"),
    )
    op.create_index(
        "ix_entries_blog_id_published_at_id",
        "entries",
        ["blog_id", "published_at", "id"],
        unique=False,
    )
    op.create_index("ix_entries_published_at_id", "entries", ["published_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_entries_published_at_id", table_name="entries")
    op.drop_index("ix_entries_blog_id_published_at_id", table_name="entries")

    op.drop_table("entries")
    op.drop_index(op.f("ix_blog_tags_tag"), table_name="blog_tags")

    op.drop_table("blog_tags")
    op.drop_index(op.f("ix_blogs_next_fetch_at"), table_name="blogs")

    op.drop_table("blogs")
    op.drop_table("api_tokens")
