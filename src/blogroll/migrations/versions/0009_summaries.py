"""summaries: entry counts and a tag's entries and blogs, kept by the database

Three summaries, so that no page costs more as the blogroll grows (issue 13):
- `blogs.entry_count`, for the admin table ordered by entries (it counted every blog's entries);
- `entry_tags`, an entry under each tag of its blog, for a tag's newest entries (the entries of all
  the tag's blogs were read and sorted);
- `blog_tags.name_key`, the blog's lower(name), for a tag's blogs by name (sorted the same way).

Triggers keep them, on SQLite, PostgreSQL and MariaDB alike, so that every writer (the worker, the
admin pages, the API, the CLI, pruning, a restore, a test's bulk insert) keeps them right without
knowing of them. Deleted rows leave `entry_tags` through its foreign keys (MariaDB runs no trigger
for a row a foreign key deletes). On SQLite, a later migration that rebuilds one of these tables in
batch mode drops its triggers: create them again there (tests/storage/test_summaries.py fails
otherwise).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from blogroll.storage.models import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = [
    """CREATE TRIGGER entries_added AFTER INSERT ON entries BEGIN
        UPDATE blogs SET entry_count = entry_count + 1 WHERE id = NEW.blog_id;
        INSERT INTO entry_tags (tag, published_at, entry_id, blog_id)
            SELECT tag, NEW.published_at, NEW.id, NEW.blog_id FROM blog_tags WHERE blog_id = NEW.blog_id;
    END""",
    """CREATE TRIGGER entries_removed AFTER DELETE ON entries BEGIN
        UPDATE blogs SET entry_count = entry_count - 1 WHERE id = OLD.blog_id;
    END""",
    """CREATE TRIGGER entries_redated AFTER UPDATE OF published_at ON entries BEGIN
        UPDATE entry_tags SET published_at = NEW.published_at WHERE entry_id = NEW.id;
    END""",
    # SQLite's triggers cannot change NEW: the row is completed just after it is written.
    """CREATE TRIGGER blog_tags_added AFTER INSERT ON blog_tags BEGIN
        UPDATE blog_tags SET name_key = (SELECT lower(name) FROM blogs WHERE id = NEW.blog_id)
            WHERE blog_id = NEW.blog_id AND tag = NEW.tag;
        INSERT INTO entry_tags (tag, published_at, entry_id, blog_id)
            SELECT NEW.tag, published_at, id, blog_id FROM entries WHERE blog_id = NEW.blog_id;
    END""",
    """CREATE TRIGGER blogs_renamed AFTER UPDATE OF name ON blogs BEGIN
        UPDATE blog_tags SET name_key = lower(NEW.name) WHERE blog_id = NEW.id;
    END""",
]

# Statement triggers for the counts (a prune's batch of 500 deletes updates each blog once, not 500
# times); row triggers for the rest.
POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION blogroll_entries_added() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        UPDATE blogs SET entry_count = blogs.entry_count + added.count
            FROM (SELECT blog_id, count(*) AS count FROM new_entries GROUP BY blog_id) AS added
            WHERE blogs.id = added.blog_id;
        INSERT INTO entry_tags (tag, published_at, entry_id, blog_id)
            SELECT blog_tags.tag, new_entries.published_at, new_entries.id, new_entries.blog_id
            FROM new_entries JOIN blog_tags ON blog_tags.blog_id = new_entries.blog_id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER entries_added AFTER INSERT ON entries REFERENCING NEW TABLE AS new_entries
        FOR EACH STATEMENT EXECUTE FUNCTION blogroll_entries_added()""",
    """CREATE FUNCTION blogroll_entries_removed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        UPDATE blogs SET entry_count = blogs.entry_count - removed.count
            FROM (SELECT blog_id, count(*) AS count FROM old_entries GROUP BY blog_id) AS removed
            WHERE blogs.id = removed.blog_id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER entries_removed AFTER DELETE ON entries REFERENCING OLD TABLE AS old_entries
        FOR EACH STATEMENT EXECUTE FUNCTION blogroll_entries_removed()""",
    """CREATE FUNCTION blogroll_entries_redated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        UPDATE entry_tags SET published_at = NEW.published_at WHERE entry_id = NEW.id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER entries_redated AFTER UPDATE OF published_at ON entries FOR EACH ROW
        WHEN (OLD.published_at IS DISTINCT FROM NEW.published_at)
        EXECUTE FUNCTION blogroll_entries_redated()""",
    """CREATE FUNCTION blogroll_blog_tags_named() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        NEW.name_key := (SELECT lower(name) FROM blogs WHERE id = NEW.blog_id);
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER blog_tags_named BEFORE INSERT ON blog_tags FOR EACH ROW
        EXECUTE FUNCTION blogroll_blog_tags_named()""",
    """CREATE FUNCTION blogroll_blog_tags_added() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        INSERT INTO entry_tags (tag, published_at, entry_id, blog_id)
            SELECT NEW.tag, published_at, id, blog_id FROM entries WHERE blog_id = NEW.blog_id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER blog_tags_added AFTER INSERT ON blog_tags FOR EACH ROW
        EXECUTE FUNCTION blogroll_blog_tags_added()""",
    """CREATE FUNCTION blogroll_blogs_renamed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        UPDATE blog_tags SET name_key = lower(NEW.name) WHERE blog_id = NEW.id;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER blogs_renamed AFTER UPDATE OF name ON blogs FOR EACH ROW
        WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION blogroll_blogs_renamed()""",
]
POSTGRESQL_FUNCTIONS = [
    "blogroll_entries_added",
    "blogroll_entries_removed",
    "blogroll_entries_redated",
    "blogroll_blog_tags_named",
    "blogroll_blog_tags_added",
    "blogroll_blogs_renamed",
]

# MariaDB has row triggers only, and none may write the table its statement writes: the name key is
# set on the row before it is written.
MARIADB_TRIGGERS = [
    """CREATE TRIGGER entries_added AFTER INSERT ON entries FOR EACH ROW BEGIN
        UPDATE blogs SET entry_count = entry_count + 1 WHERE id = NEW.blog_id;
        INSERT INTO entry_tags (tag, published_at, entry_id, blog_id)
            SELECT tag, NEW.published_at, NEW.id, NEW.blog_id FROM blog_tags WHERE blog_id = NEW.blog_id;
    END""",
    """CREATE TRIGGER entries_removed AFTER DELETE ON entries FOR EACH ROW
        UPDATE blogs SET entry_count = entry_count - 1 WHERE id = OLD.blog_id""",
    """CREATE TRIGGER entries_redated AFTER UPDATE ON entries FOR EACH ROW
        IF NOT (OLD.published_at <=> NEW.published_at) THEN
            UPDATE entry_tags SET published_at = NEW.published_at WHERE entry_id = NEW.id;
        END IF""",
    """CREATE TRIGGER blog_tags_named BEFORE INSERT ON blog_tags FOR EACH ROW
        SET NEW.name_key = (SELECT lower(name) FROM blogs WHERE id = NEW.blog_id)""",
    """CREATE TRIGGER blog_tags_added AFTER INSERT ON blog_tags FOR EACH ROW
        INSERT INTO entry_tags (tag, published_at, entry_id, blog_id)
            SELECT NEW.tag, published_at, id, blog_id FROM entries WHERE blog_id = NEW.blog_id""",
    """CREATE TRIGGER blogs_renamed AFTER UPDATE ON blogs FOR EACH ROW
        IF NOT (OLD.name <=> NEW.name) THEN
            UPDATE blog_tags SET name_key = lower(NEW.name) WHERE blog_id = NEW.id;
        END IF""",
]
TRIGGERS = {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRESQL_TRIGGERS, "mariadb": MARIADB_TRIGGERS}
TRIGGERS["mysql"] = MARIADB_TRIGGERS
TRIGGER_TABLES = {
    "entries_added": "entries",
    "entries_removed": "entries",
    "entries_redated": "entries",
    "blog_tags_named": "blog_tags",
    "blog_tags_added": "blog_tags",
    "blogs_renamed": "blogs",
}


def _tag() -> sa.types.TypeEngine[str]:
    # As blogroll.storage.models.TagString: binary collation on MariaDB (the foreign key needs the same).
    binary = mysql.VARCHAR(length=50, collation="utf8mb4_bin")
    return sa.String(length=50).with_variant(binary, "mariadb").with_variant(binary, "mysql")


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    # Columns are added and dropped in place, on SQLite too (ALTER TABLE): batch mode would copy the
    # tables, and dropping the old `blogs` would delete every entry through their foreign key.
    op.add_column(
        "blogs", sa.Column("entry_count", sa.Integer(), server_default=sa.text("0"), nullable=False)
    )
    op.create_index("ix_blogs_entry_count_id", "blogs", ["entry_count", "id"])
    op.execute(
        "UPDATE blogs SET entry_count = (SELECT count(*) FROM entries WHERE entries.blog_id = blogs.id)"
    )

    op.add_column(
        "blog_tags",
        sa.Column("name_key", sa.String(length=200), server_default=sa.text("''"), nullable=False),
    )
    op.execute(
        "UPDATE blog_tags SET name_key = (SELECT lower(name) FROM blogs WHERE blogs.id = blog_tags.blog_id)"
    )
    op.create_index("ix_blog_tags_tag_name_key_blog_id", "blog_tags", ["tag", "name_key", "blog_id"])
    op.create_index("ix_blog_tags_tag_blog_id", "blog_tags", ["tag", "blog_id"])
    op.drop_index("ix_blog_tags_tag", table_name="blog_tags")

    op.create_table(
        "entry_tags",
        sa.Column("tag", _tag(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("blog_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blog_id", "tag"],
            ["blog_tags.blog_id", "blog_tags.tag"],
            name="fk_entry_tags_blog_id_blog_tags",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entries.id"], name="fk_entry_tags_entry_id_entries", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tag", "published_at", "entry_id", name="pk_entry_tags"),
    )
    op.create_index("ix_entry_tags_entry_id", "entry_tags", ["entry_id"])
    op.create_index("ix_entry_tags_blog_id_tag", "entry_tags", ["blog_id", "tag"])
    op.execute(
        "INSERT INTO entry_tags (tag, published_at, entry_id, blog_id)"
        " SELECT blog_tags.tag, entries.published_at, entries.id, entries.blog_id"
        " FROM entries JOIN blog_tags ON blog_tags.blog_id = entries.blog_id"
    )
    for statement in TRIGGERS[dialect]:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    for trigger, table in TRIGGER_TABLES.items():  # SQLite has no blog_tags_named
        on_table = f" ON {table}" if dialect == "postgresql" else ""
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}{on_table}")
    if dialect == "postgresql":
        for function in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION {function}()")
    op.drop_table("entry_tags")
    op.create_index("ix_blog_tags_tag", "blog_tags", ["tag"])
    op.drop_index("ix_blog_tags_tag_blog_id", table_name="blog_tags")
    op.drop_index("ix_blog_tags_tag_name_key_blog_id", table_name="blog_tags")
    op.drop_column("blog_tags", "name_key")
    op.drop_index("ix_blogs_entry_count_id", table_name="blogs")
    op.drop_column("blogs", "entry_count")
