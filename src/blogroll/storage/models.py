"""The tables: blogs, their tags, entries and icons, API tokens, accounts, and submitted blogs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from blogroll.sanitize import sanitize_html

# Stable constraint names, so migrations say the same thing on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Sizes the columns have and the API's schemas check, so that a valid request always fits.
URL_LENGTH = 2048
NAME_LENGTH = 200
TAG_LENGTH = 50
# Integer keys are 32-bit on PostgreSQL and MariaDB; a larger number names no row (and overflows SQLite's
# driver instead of simply finding nothing).
MAX_ID = 2**31 - 1
# How a submitter may be reached (an e-mail address, a handle).
SUBMISSION_CONTACT_LENGTH = 200
# The largest icon the worker stores (and so the pages serve); real favicons are a few KiB.
MAX_ICON_BYTES = 100 * 1024


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores naive UTC (SQLite and MariaDB keep no zone) and always hands back aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Blogroll stores aware UTC times only")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


def UrlString() -> String:
    """A URL column; ASCII on MariaDB so a unique index on 2048 characters fits InnoDB's key limit."""
    return String(URL_LENGTH).with_variant(
        mysql.VARCHAR(URL_LENGTH, charset="ascii", collation="ascii_bin"), "mysql", "mariadb"
    )


# Entry bodies can be long; MariaDB's TEXT stops at 64 KiB.
LongText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
# Icons reach MAX_ICON_BYTES; MariaDB's BLOB stops at 64 KiB too.
LongBinary = LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}  # noqa: RUF012 - SQLAlchemy's API


class Blog(Base):
    __tablename__ = "blogs"
    # The alphabetical blogroll (/blogs/, the admin table by name) reads a page of this index instead
    # of sorting every blog. MariaDB has no index on an expression (its name column's collation
    # already ignores case, but ORDER BY lower(name) cannot use it), so there the sort stays.
    # The admin table's default order ("failing" first) reads a page of the second one the same way.
    __table_args__ = (
        Index("ix_blogs_lower_name_id", func.lower(text("name")), "id").ddl_if(
            dialect=("sqlite", "postgresql")  # type: ignore[arg-type]  # a tuple is documented
        ),
        Index(
            "ix_blogs_failing_first",
            text("consecutive_errors DESC"),
            "enabled",
            func.lower(text("name")),
            "id",
        ).ddl_if(
            dialect=("sqlite", "postgresql")  # type: ignore[arg-type]  # a tuple is documented
        ),
        # The admin table by entries (most first, ties newest first) reads it backwards, on MariaDB too.
        Index("ix_blogs_entry_count_id", "entry_count", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    site_url: Mapped[str | None] = mapped_column(UrlString())
    feed_url: Mapped[str] = mapped_column(UrlString(), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # Fetch state, written by the feed worker.
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_fetched_at: Mapped[dt.datetime | None]
    last_status: Mapped[int | None]
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    consecutive_errors: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_fetch_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    # Set while a worker holds the blog, so other workers (and a crashed one's successor) know.
    claimed_until: Mapped[dt.datetime | None]
    # The name of the worker holding it (BLOGROLL_WORKER_NAME): restarted, it takes its claims back.
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    # When the current run of failures began (null while fetches succeed): the worker pauses a blog
    # that has failed for BLOGROLL_PAUSE_AFTER_DAYS, and a keeper resuming it starts the count anew.
    failing_since: Mapped[dt.datetime | None]
    # Why fetching is paused, in words, while `enabled` is false; null when it is not paused.
    paused_reason: Mapped[str | None] = mapped_column(Text)
    # The icon, as the pages need it: the digest of the stored icon (its address and ETag here;
    # null: none), and when the worker next looks for it (null: at the blog's next fetch). The bytes
    # are in `blog_icons`, so that reading blogs never reads them.
    icon_digest: Mapped[str | None] = mapped_column(String(32))
    icon_check_at: Mapped[dt.datetime | None]
    # How many entries the blog has. Kept by the database itself (triggers on `entries`, migration
    # 0009), whatever writes them: never written here.
    entry_count: Mapped[int] = mapped_column(server_default=text("0"))

    tag_rows: Mapped[list[BlogTag]] = relationship(
        back_populates="blog",
        cascade="all, delete-orphan",
        order_by="BlogTag.tag",
        # Loaded on demand: most views list blogs without their tags; the few that show tags ask for
        # them with `selectinload` (storage/blogs.py), one query for the whole list.
        lazy="select",
    )
    entries: Mapped[list[Entry]] = relationship(
        back_populates="blog", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @tags.setter
    def tags(self, tags: list[str]) -> None:
        current = {row.tag: row for row in self.tag_rows}
        self.tag_rows = [current.get(tag) or BlogTag(tag=tag) for tag in sorted(set(tags))]


def TagString() -> String:
    """A tag column. Binary collation on MariaDB: its default one would make `cafe` and `café` the
    same tag."""
    return String(TAG_LENGTH).with_variant(
        mysql.VARCHAR(TAG_LENGTH, collation="utf8mb4_bin"), "mysql", "mariadb"
    )


class BlogTag(Base):
    """A blog's tag. A tag's blogs are read from its indexes, a page at a time however many blogs
    carry it: by id (the API) and by name (/blogs/?tag=), for which each row keeps its blog's
    lower(name), as the database writes it (triggers, migration 0009)."""

    __tablename__ = "blog_tags"
    __table_args__ = (
        Index("ix_blog_tags_tag_name_key_blog_id", "tag", "name_key", "blog_id"),
        Index("ix_blog_tags_tag_blog_id", "tag", "blog_id"),
    )

    blog_id: Mapped[int] = mapped_column(ForeignKey("blogs.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(TagString(), primary_key=True)
    # The blog's lower(name), kept by the database: never written here.
    name_key: Mapped[str] = mapped_column(String(NAME_LENGTH), server_default=text("''"))

    blog: Mapped[Blog] = relationship(back_populates="tag_rows")


class Entry(Base):
    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("blog_id", "guid_hash", name="uq_entries_blog_id_guid_hash"),
        Index("ix_entries_published_at_id", "published_at", "id"),
        Index("ix_entries_blog_id_published_at_id", "blog_id", "published_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    blog_id: Mapped[int] = mapped_column(ForeignKey("blogs.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(Text)
    # SHA-256 of the guid: guids are arbitrary text, too long to index on every engine.
    guid_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(UrlString())
    author: Mapped[str] = mapped_column(String(500), default="")
    summary: Mapped[str] = mapped_column(LongText, default="")
    # When the feed gives no date, the time Blogroll first saw the entry, so ordering stays total.
    published_at: Mapped[dt.datetime]
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    blog: Mapped[Blog] = relationship(back_populates="entries")

    @validates("summary")
    def _sanitize_summary(self, _key: str, summary: str) -> str:
        """Pages show summaries as HTML, so whatever writes one, only sanitized HTML is stored."""
        return sanitize_html(summary)


class EntryTag(Base):
    """An entry under each tag of its blog: a tag's newest entries are a page of this table's key,
    however many blogs and entries the tag has (the entries of a tag's blogs would have to be
    sorted to find them). Written only by the database (triggers on `entries` and `blog_tags`,
    migration 0009) and emptied by its foreign keys: whatever adds an entry or a tag keeps it."""

    __tablename__ = "entry_tags"
    __table_args__ = (
        ForeignKeyConstraint(
            ["blog_id", "tag"], ["blog_tags.blog_id", "blog_tags.tag"], ondelete="CASCADE", onupdate="CASCADE"
        ),
        Index("ix_entry_tags_blog_id_tag", "blog_id", "tag"),
    )

    tag: Mapped[str] = mapped_column(TagString(), primary_key=True)
    published_at: Mapped[dt.datetime] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    blog_id: Mapped[int] = mapped_column(Integer)


class BlogIcon(Base):
    """A blog's icon as the worker last found it, served from Blogroll's own origin (never hot-linked).

    The row is written at each check; `data` and `content_type` are null when the last check found
    no usable icon. The blog's `icon_digest` says which bytes the pages link to.
    """

    __tablename__ = "blog_icons"

    blog_id: Mapped[int] = mapped_column(ForeignKey("blogs.id", ondelete="CASCADE"), primary_key=True)
    # Told by the bytes themselves (PNG, ICO, GIF, JPEG, WebP), never by what the server said.
    content_type: Mapped[str | None] = mapped_column(String(50))
    data: Mapped[bytes | None] = mapped_column(LongBinary)
    # Where the bytes came from, for a keeper wondering why a blog shows that icon.
    source_url: Mapped[str | None] = mapped_column(UrlString())
    # When these bytes were fetched, and when the worker last looked (found or not).
    fetched_at: Mapped[dt.datetime | None]
    checked_at: Mapped[dt.datetime]
    # Why the last check found no icon; never the blog's `last_error`, which is the feed's.
    last_error: Mapped[str | None] = mapped_column(Text)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]


class User(Base):
    """Someone who keeps the blogroll and signs in to the admin pages."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # An argon2id hash in PHC string format (salt and parameters included); never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    """A browser's session, kept server-side: the cookie holds only a random id, stored here hashed.

    Deleting the row ends the session at once, wherever its cookie is (sign-out, a deleted user, a
    changed password). Anonymous sessions (user_id null) carry only a sign-in form's CSRF token.
    """

    __tablename__ = "web_sessions"

    # SHA-256 of the cookie's value, so a read of this table cannot be replayed as cookies.
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    data: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class SignInFailure(Base):
    """A failed sign-in, kept for the throttle's window: by account name and by client address."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_name: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    failed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class WorkerTask(Base):
    """When a periodic job of the workers (pruning old entries) last started, so that however many
    workers run and however often they restart, one of them runs it, once per period."""

    __tablename__ = "worker_tasks"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    last_run_at: Mapped[dt.datetime]
    last_run_by: Mapped[str] = mapped_column(String(255))


class SiteKey(Base):
    """Keys the site signs with (CSRF tokens), made at random by the migration that adds this table.

    Every process and replica reads the same key from the database, so a deployment needs no secret
    to be configured for it, and a backup carries it along.
    """

    __tablename__ = "site_keys"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


class Submission(Base):
    """A blog someone suggested (the public form or API), waiting for a keeper to approve or reject it.

    Nothing public reads this table: a blog reaches the pages only when approval copies it to `blogs`.
    """

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_url: Mapped[str] = mapped_column(UrlString(), index=True)
    name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    # The feed discovery found (or the one given and confirmed by fetching it).
    feed_url: Mapped[str | None] = mapped_column(UrlString(), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    # How to reach the submitter; shown to keepers only.
    contact: Mapped[str] = mapped_column(String(SUBMISSION_CONTACT_LENGTH), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    # What discovery found, as JSON: feed, format, titles, latest titles, why this feed.
    discovery: Mapped[str] = mapped_column(Text, default="{}")
    client_address: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    decided_at: Mapped[dt.datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    blog_id: Mapped[int | None] = mapped_column(ForeignKey("blogs.id", ondelete="SET NULL"))
