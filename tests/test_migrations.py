"""The committed migrations build exactly the schema the models describe, on every engine."""

import datetime as dt
import warnings
from collections.abc import Callable

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Boolean, Engine, Integer, String, column, insert, inspect, select, table, text

from blogroll.storage.blogs import GONE_REASON, KEEPER_PAUSE
from blogroll.storage.migrate import alembic_config, is_current, upgrade
from blogroll.storage.models import Base, Blog, UTCDateTime, utcnow


def test_migrations_reach_head(engine: Engine) -> None:
    assert is_current(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"blogs", "blog_tags", "entries", "api_tokens", "alembic_version"} <= tables


def test_models_and_migrations_agree(engine: Engine) -> None:
    # SQLAlchemy and Alembic cannot read an index on an expression back from SQLite, and say so;
    # the next test checks that index on every engine.
    with engine.connect() as connection, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _made_on(engine.dialect.name)}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def _made_on(dialect: str) -> Callable[..., bool]:
    """Alembic compares every index of the models; one made only on some engines (`ddl_if`) is
    compared only on those (the next test checks that it is absent elsewhere)."""

    def include(item: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
        condition = getattr(item, "_ddl_if", None)
        return kind != "index" or condition is None or dialect in condition.dialect

    return include


def test_0007_the_alphabetical_blogroll_reads_an_index_where_the_engine_has_them(engine: Engine) -> None:
    # MariaDB cannot index an expression: there the index is absent and the blogroll is sorted.
    expected = engine.dialect.name in ("sqlite", "postgresql")
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            found = connection.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'ix_blogs_lower_name_id'")
            )
            plan = " ".join(
                str(row[-1])
                for row in connection.execute(
                    text("EXPLAIN QUERY PLAN SELECT id, name FROM blogs ORDER BY lower(name), id LIMIT 51")
                )
            )
            assert "ix_blogs_lower_name_id" in plan and "TEMP B-TREE" not in plan, plan
        elif engine.dialect.name == "postgresql":
            found = connection.scalar(
                text("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_blogs_lower_name_id'")
            )
        else:
            found = connection.scalar(
                text(
                    "SELECT count(*) FROM information_schema.statistics"
                    " WHERE table_schema = DATABASE() AND index_name = 'ix_blogs_lower_name_id'"
                )
            )
    assert found == (1 if expected else 0)


def _downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_0004_words_the_pauses_it_finds_and_pauses_nothing(engine: Engine, committed_database: str) -> None:
    """Blogs paused before 0004 get their reason; failing ones start their count of days at the
    upgrade, so the upgrade itself pauses none (and 0004 goes down and up again on every engine)."""
    _downgrade(engine, "0003")
    try:
        blogs = table(
            "blogs",
            column("id", Integer),
            column("name", String),
            column("feed_url", String),
            column("description", String),
            column("created_at", UTCDateTime()),
            column("updated_at", UTCDateTime()),
            column("next_fetch_at", UTCDateTime()),
            column("enabled", Boolean),
            column("consecutive_errors", Integer),
            column("last_status", Integer),
        )
        now = utcnow().replace(microsecond=0)
        states = {
            "healthy": (True, 0, 200),
            "failing": (True, 7, 500),
            "gone": (False, 1, 410),
            "off": (False, 0, 200),
        }
        with engine.begin() as connection:
            connection.execute(
                insert(blogs),
                [
                    {"id": n, "name": name, "feed_url": f"https://{name}.example/feed", "description": "",
                     "created_at": now, "updated_at": now, "next_fetch_at": now, "enabled": enabled,
                     "consecutive_errors": errors, "last_status": status}
                    for n, (name, (enabled, errors, status)) in enumerate(states.items(), start=1)
                ],
            )  # fmt: skip
    finally:
        upgrade(engine)

    with engine.connect() as connection:
        rows = connection.execute(
            select(Blog.name, Blog.enabled, Blog.paused_reason, Blog.failing_since).order_by(Blog.id)
        ).all()
    assert [(name, enabled, reason) for name, enabled, reason, _since in rows] == [
        ("healthy", True, None),
        ("failing", True, None),
        ("gone", False, "paused: the feed answered 410 Gone (it was removed)"),
        ("off", False, KEEPER_PAUSE),
    ]
    since = {name: failing_since for name, _enabled, _reason, failing_since in rows}
    assert since["healthy"] is None and since["off"] is None
    assert since["failing"] is not None and since["failing"] >= now - dt.timedelta(seconds=1)
    assert rows[2][2] == GONE_REASON


def test_0006_goes_down_and_up_again_and_every_icon_is_due(engine: Engine, committed_database: str) -> None:
    """Down, blog_icons and the blogs' two icon columns are gone (blogs kept); up, they are back and
    every blog's icon is looked for at its next fetch."""
    now = utcnow().replace(microsecond=0)
    with engine.begin() as connection:
        connection.execute(
            insert(Blog).values(id=1, name="kept", feed_url="https://kept.example/feed", description="",
                                created_at=now, updated_at=now, next_fetch_at=now, enabled=True,
                                consecutive_errors=0, icon_digest="0" * 32, icon_check_at=now)
        )  # fmt: skip
    _downgrade(engine, "0005")
    try:
        inspector = inspect(engine)
        assert "blog_icons" not in inspector.get_table_names()
        columns = {column["name"] for column in inspector.get_columns("blogs")}
        assert not {"icon_digest", "icon_check_at"} & columns
    finally:
        upgrade(engine)

    assert is_current(engine)
    assert "blog_icons" in inspect(engine).get_table_names()
    with engine.connect() as connection:
        rows = connection.execute(select(Blog.name, Blog.icon_digest, Blog.icon_check_at)).all()
    assert [tuple(row) for row in rows] == [("kept", None, None)]
