"""Fixtures, layered as the README reads: a database per engine, an app on it, a client, helpers.

Every test that uses `app` runs on SQLite, and on PostgreSQL and MariaDB when their servers are
configured (BLOGROLL_TEST_POSTGRES_URL, BLOGROLL_TEST_MARIADB_URL; `scripts/test-databases` starts
local ones). Outside CI a missing server skips those runs with the reason; in CI (CI=true) it fails.
Each test runs inside an outer transaction that is rolled back, so tests never see each other's data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, create_engine, delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from blogroll import create_app
from blogroll.config import Settings
from blogroll.storage import db, users
from blogroll.storage.blogs import NewBlog, create_blog
from blogroll.storage.entries import guid_hash
from blogroll.storage.migrate import upgrade
from blogroll.storage.models import Base, Blog, Entry, User
from blogroll.storage.tokens import create_token
from tests.admin.forms import PASSWORD, sign_in
from tests.helpers.feed_server import FeedServer
from tests.helpers.prerequisites import require
from tests.helpers.processes import Processes
from tests.helpers.settings import make_settings
from tests.helpers.snapshots import Snapshot, every_row

SERVER_URLS = {
    "postgresql": os.environ.get("BLOGROLL_TEST_POSTGRES_URL"),
    "mariadb": os.environ.get("BLOGROLL_TEST_MARIADB_URL"),
}
ENGINES = ["sqlite", "postgresql", "mariadb"]


def _create_server_database(engine_name: str) -> tuple[str, Engine]:
    """A throwaway database on the configured server; returns its URL and an admin engine."""
    admin_url = make_url(SERVER_URLS[engine_name] or "")
    name = f"blogroll_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if engine_name == "postgresql":
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        else:
            connection.execute(
                text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            )
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    return url, admin


def _drop_server_database(engine_name: str, admin: Engine, url: str) -> None:
    name = make_url(url).database
    with admin.connect() as connection:
        if engine_name == "postgresql":
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    admin.dispose()


@pytest.fixture(autouse=True)
def _no_metrics_folder_left_behind() -> Iterator[None]:
    """An in-process `blogroll serve` (or `run`) with several processes points prometheus_client at
    a folder through PROMETHEUS_MULTIPROC_DIR in this very process; a later test's `/metrics` would
    then read its counts from files nobody writes."""
    before = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    yield
    if before is None:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)


@pytest.fixture(scope="session", params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database on each engine, made once per test run."""
    engine_name: str = request.param
    if engine_name == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'blogroll.db'}"
        admin = None
    else:
        variable = (
            "BLOGROLL_TEST_POSTGRES_URL" if engine_name == "postgresql" else "BLOGROLL_TEST_MARIADB_URL"
        )
        require(
            bool(SERVER_URLS[engine_name]),
            f"{engine_name} tests need {variable} (see scripts/test-databases)",
        )
        url, admin = _create_server_database(engine_name)
    engine = db.make_engine(make_settings(url))
    upgrade(engine)
    engine.dispose()
    yield url
    if admin is not None:
        _drop_server_database(engine_name, admin, url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.make_engine(make_settings(database_url))
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """An outer transaction that every session in the test joins through savepoints."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, greeting="Hello from the tests!")


@pytest.fixture
def app(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[Flask]:
    app = create_app(settings)
    app.config["TESTING"] = True
    database = db.get_database(app)
    database.use_sessions(sessions)
    yield app
    database.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def token(session: Session) -> str:
    """A valid API token for write requests."""
    _row, token = create_token(session, "tests")
    session.commit()
    return token


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def add_blog(session: Session) -> Any:
    """Adds a blog straight to storage: `add_blog("Name", tags=["python"])`."""
    counter = iter(range(1, 10_000))

    def add(name: str = "Example", **fields: Any) -> Blog:
        number = next(counter)
        fields.setdefault("feed_url", f"https://blog{number}.example.org/feed.xml")
        fields.setdefault("site_url", f"https://blog{number}.example.org/")
        blog = create_blog(session, NewBlog(name=name, **fields))
        session.commit()
        return blog

    return add


@pytest.fixture
def add_entry(session: Session) -> Any:
    """Adds an entry to a blog: `add_entry(blog, "Title", published_at=...)`."""
    import datetime as dt

    counter = iter(range(1, 100_000))

    def add(blog: Blog, title: str = "A post", **fields: Any) -> Entry:
        number = next(counter)
        guid = fields.pop("guid", f"{blog.site_url or 'https://example.org/'}posts/{number}")
        fields.setdefault("link", guid if guid.startswith("http") else None)
        fields.setdefault("published_at", dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=number))
        entry = Entry(
            blog_id=blog.id,
            guid=guid,
            guid_hash=guid_hash(guid),
            title=title,
            **fields,
        )
        session.add(entry)
        session.commit()
        return entry

    return add


@pytest.fixture
def committed_database(database_url: str) -> Iterator[str]:
    """For code that commits on its own connections (CLI, worker): the real database, emptied after."""
    yield database_url
    engine = db.make_engine(make_settings(database_url))
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "alembic_version":
                connection.execute(delete(table))
    engine.dispose()


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """A fresh, migrated SQLite file of its own, for tests of whole processes (CLI, browser)."""
    settings = make_settings(f"sqlite:///{tmp_path / 'blogroll.db'}", data_dir=tmp_path)
    engine = db.make_engine(settings)
    upgrade(engine)
    engine.dispose()
    return settings


@pytest.fixture
def storage(session: Session) -> Snapshot:
    """`storage()` is every row of every table, to prove that a refused request changed nothing."""
    return lambda: every_row(session)


@pytest.fixture
def make_app(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[Callable[..., Flask]]:
    """`make_app(max_body_bytes=1024)`: an app on the test transaction with some settings changed."""
    apps: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = create_app(settings.model_copy(update=overrides))
        app.config["TESTING"] = True
        db.get_database(app).use_sessions(sessions)
        apps.append(app)
        return app

    yield make
    for app in apps:
        db.get_database(app).engine.dispose()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A fixture HTTP server on 127.0.0.1 whose paths a test sets up (the worker's and discovery's)."""
    server = FeedServer()
    server.thread.start()
    yield server
    server.close()


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own with no tables at all, on the engine `database_url` is on, for tests of
    migrating itself."""
    engine_name = make_url(database_url).get_backend_name()
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = "postgresql" if engine_name == "postgresql" else "mariadb"
    url, admin = _create_server_database(server)
    try:
        yield url
    finally:
        _drop_server_database(server, admin, url)
        admin.dispose()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    """Starts `blogroll` commands as processes of their own; kills any left running at the end."""
    processes = Processes(tmp_path)
    yield processes
    processes.stop_all()


@pytest.fixture
def keeper(session: Session) -> User:
    """An account for the admin pages (tests/admin/forms.py has its password)."""
    user = users.create_user(session, "keeper", PASSWORD)
    session.commit()
    return user


@pytest.fixture
def browser(app: Flask, keeper: User) -> FlaskClient:
    """A client signed in as `keeper`, keeping its cookies like a browser."""
    client = app.test_client()
    sign_in(client)
    return client
