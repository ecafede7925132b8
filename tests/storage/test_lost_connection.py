"""A database connection lost after a request's answer is built must not spoil that answer."""

from __future__ import annotations

import pytest
from flask import Response
from sqlalchemy import create_engine, text

from blogroll import create_app
from blogroll.config import Settings
from blogroll.storage import db


def kill_own_connection(settings: Settings) -> None:
    """Ends the current request's database connection from the server's side, as a restart would."""
    session = db.get_session()
    admin = create_engine(settings.sqlalchemy_url)
    try:
        with admin.connect() as connection:
            if admin.dialect.name == "postgresql":
                pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            else:
                thread = session.execute(text("SELECT connection_id()")).scalar_one()
                connection.execute(text(f"KILL {int(thread)}"))
    finally:
        admin.dispose()


@pytest.mark.parametrize("database_url", ["postgresql", "mariadb"], indirect=True)
@pytest.mark.parametrize("path", ["/api/v1/blogs", "/"])
def test_a_connection_lost_after_the_answer_is_built_still_answers(settings: Settings, path: str) -> None:
    """The fault test saw one bare 500 from gunicorn when MariaDB was killed: the request had its
    answer, then the rollback sent while closing its session failed and escaped Flask."""
    app = create_app(settings)

    @app.after_request
    def lose_the_connection(response: Response) -> Response:
        kill_own_connection(settings)
        return response

    try:
        with app.test_client() as client:
            answer = client.get(path)
            assert answer.status_code == 200, answer.text
            # The pool noticed: the next request gets a fresh connection, not the dead one.
            app.after_request_funcs[None].remove(lose_the_connection)
            assert client.get(path).status_code == 200
    finally:
        db.get_database(app).engine.dispose()
