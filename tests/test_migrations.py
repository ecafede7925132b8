"""The committed migrations build exactly the schema the models describe, on every engine."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from blogroll.storage.migrate import is_current
from blogroll.storage.models import Base


def test_migrations_reach_head(engine: Engine) -> None:
    assert is_current(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"blogs", "blog_tags", "entries", "api_tokens", "alembic_version"} <= tables


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
