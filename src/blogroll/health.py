"""Liveness and readiness: `/healthz` says the process answers, `/readyz` that the database does."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError

from blogroll.config import current_settings
from blogroll.storage.db import get_database

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response | tuple[Response, int]:
    """Ready when the database answers and has every migration this code expects: an instance
    started before `blogroll db upgrade` ran (or on an older database) takes no traffic."""
    # Imported here, not with the module: Alembic is 12 MB of each web process's memory, and only
    # this probe needs it (`blogroll run`'s processes may never be asked).
    from blogroll.storage.migrate import pending_migrations

    try:
        pending = get_database().ask(
            current_settings().database_connect_timeout,
            lambda session: pending_migrations(session.connection()),
        )
    except SQLAlchemyError as error:
        log.warning("not ready: database ping failed (%s)", type(error).__name__)
        return jsonify(
            status="unavailable",
            error="service_unavailable",
            message="the database is not answering",
            details={"database": type(error).__name__},
        ), 503
    if pending:
        log.warning("not ready: the database lacks migrations %s", ", ".join(pending))
        return jsonify(
            status="unavailable",
            error="schema_out_of_date",
            message=f"the database lacks migrations {', '.join(pending)}; run `blogroll db upgrade`",
            details={"pending_migrations": pending},
        ), 503
    return jsonify(status="ok", database="ok")
