"""Migrations run from many places at once (every replica, a job per release) apply once and all
succeed; /readyz names the migrations a database lacks."""

from __future__ import annotations

import threading

from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from blogroll import create_app
from blogroll.storage import db
from blogroll.storage.migrate import committed_heads, is_current, pending_migrations, upgrade
from blogroll.storage.models import Blog
from tests.helpers.settings import make_settings

RUNS = 6


def test_concurrent_upgrades_of_an_empty_database_all_succeed_once(empty_database_url: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(RUNS)

    def run() -> None:
        engine = db.make_engine(make_settings(empty_database_url))
        try:
            start.wait()
            upgrade(engine)
        except BaseException as error:
            errors.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    engine = db.make_engine(make_settings(empty_database_url))
    try:
        assert is_current(engine)
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            assert set(versions) == set(committed_heads())
            assert connection.execute(select(func.count()).select_from(Blog)).scalar_one() == 0
    finally:
        engine.dispose()


def test_pending_migrations_lists_what_an_old_database_lacks(empty_database_url: str) -> None:
    engine = db.make_engine(make_settings(empty_database_url))
    try:
        upgrade(engine, "0001")
        with engine.connect() as connection:
            pending = pending_migrations(connection)
        assert pending[0] == "0002"
        assert "0001" not in pending
        assert len(pending) >= 2
    finally:
        engine.dispose()


def test_readyz_says_503_naming_the_migrations_a_database_lacks(empty_database_url: str) -> None:
    settings = make_settings(empty_database_url)
    engine = db.make_engine(settings)
    upgrade(engine, "0002")
    engine.dispose()
    app = create_app(settings)
    client: FlaskClient = app.test_client()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json is not None
        assert response.json["error"] == "schema_out_of_date"
        assert "0003" in response.json["details"]["pending_migrations"]
        assert "0002" not in response.json["details"]["pending_migrations"]
        assert "blogroll db upgrade" in response.json["message"]

        upgrade(db.get_database(app).engine)
        assert client.get("/readyz").status_code == 200
    finally:
        db.get_database(app).engine.dispose()
