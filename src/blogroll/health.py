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
    try:
        get_database().ping(timeout=current_settings().database_connect_timeout)
    except SQLAlchemyError as error:
        log.warning("not ready: database ping failed (%s)", type(error).__name__)
        return jsonify(
            status="unavailable",
            error="service_unavailable",
            message="the database is not answering",
            details={"database": type(error).__name__},
        ), 503
    return jsonify(status="ok", database="ok")
