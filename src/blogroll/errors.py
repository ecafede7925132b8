"""One place that turns every failure into the client's language: JSON for the API, HTML for pages."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from flask import Flask, Response, render_template, request
from flask_babel import gettext
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException, InternalServerError

from blogroll.i18n import N_
from blogroll.storage.db import database_unavailable

# Re-exported (`as`) for cli.py, which imports it from here until its rewrite imports blogroll.validation.
from blogroll.validation import validation_details

log = logging.getLogger(__name__)

# Stable machine-readable codes for the HTTP errors clients see.
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}

# The messages below are written in English, as the API's JSON carries them (a contract, like the
# codes); an HTML page shows them through the catalog, in the reader's language.
BODY_TOO_LARGE = N_("the request body is larger than this server accepts")
DATABASE_DOWN = N_("the database is not answering; try again shortly")
# Pages say these instead of Werkzeug's stock descriptions, which have no translation.
PAGE_MESSAGES = {
    400: N_("The browser sent a request this server does not understand."),
    401: N_("This page needs you to sign in."),
    403: N_("You are not allowed to do this. If you came from a form, reload it and try again."),
    404: N_("Nothing is at this address. Check it, or start again from the blogroll."),
    405: N_("This address does not take that kind of request."),
    429: N_("Too many requests. Wait a little, then try again."),
    500: N_("Something went wrong on our side. It has been logged; try again later."),
    503: N_("Blogroll cannot answer right now. Try again in a few seconds."),
}


class ApiError(Exception):
    """An error the API reports on purpose, with its status, code, message and details."""

    def __init__(self, status: int, message: str, *, error: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error or ERROR_CODES.get(status, "error")
        self.message = message
        self.details = details


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/readyz")


def error_response(status: int, message: str, *, error: str | None = None, details: Any = None) -> Response:
    code = error or ERROR_CODES.get(status, "error")
    if status < 500:
        # One line per client error, tagged with the request id; 5xx are logged where they happen.
        log.info("%s %s answered %d %s", request.method, request.path, status, code)
    if wants_json():
        body = {
            "error": code,
            "message": message,
            "details": details,
        }
        response: Response = Response(_dumps(body), status=status, mimetype="application/json")
    else:
        # A message written here is looked up in the catalog; one from a view is already translated.
        html = render_template("error.html", status=status, message=gettext(message))
        response = Response(html, status=status, mimetype="text/html")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="blogroll"'
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


def _dumps(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body, default=str)


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return error_response(error.status, error.message, error=error.error, details=error.details)

    @app.errorhandler(ValidationError)
    def _validation_error(error: ValidationError) -> Response:
        return error_response(422, "the request is not valid", details=validation_details(error))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        response = error_response(status, _describe(error, status))
        if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if database_unavailable(error):
            log.warning("database unavailable: %s", type(error).__name__)
            return error_response(503, DATABASE_DOWN)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return error_response(500, InternalServerError.description or "internal error")
        return error_response(500, PAGE_MESSAGES[500])


def _describe(error: HTTPException, status: int) -> str:
    if status == 413:
        return BODY_TOO_LARGE
    description = error.description or error.name
    stock = description == type(error).description
    if stock and not wants_json() and status in PAGE_MESSAGES:
        return PAGE_MESSAGES[status]
    return str(description)
