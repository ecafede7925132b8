"""Logging to stdout, each line tagged with the request id that the client also sees: as text for
people, or as JSON lines for a log collector (`BLOGROLL_LOG_FORMAT=json`)."""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
import time
import uuid
from typing import Any

import orjson
from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's request id is reused only if it looks like one, so logs cannot be forged through it.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# What a request's own log line carries besides the message (see `init_app`). The path never has
# its query string, and no header is logged: tokens and cookies stay out of the logs.
REQUEST_FIELDS = ("method", "path", "route", "status", "duration_ms")
requests_log = logging.getLogger("blogroll.requests")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, request_id, message, a request's fields,
    and a traceback as `error`, so a collector never has to parse free text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for field in REQUEST_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure(level: str, log_format: str = "text") -> None:
    """One stdout handler on the root logger; calling it again only changes the level and format."""
    root = logging.getLogger()
    root.setLevel(level)
    for handler in root.handlers:
        if getattr(handler, "blogroll", False):
            handler.setFormatter(formatter(log_format))
            return
    handler = logging.StreamHandler(sys.stdout)
    handler.blogroll = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(formatter(log_format))
    root.addHandler(handler)


def is_safe_request_id(incoming: str) -> bool:
    """Whether a client's (or proxy's) request id may be logged and echoed as it is."""
    return _SAFE_REQUEST_ID.match(incoming) is not None


def init_app(app: Flask, *, log_requests: bool = False) -> None:
    """Request ids on every request; with `log_requests`, one line per request (in JSON mode the app
    writes the access log itself, with the route and request id that gunicorn's lacks)."""

    @app.before_request
    def _assign_request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if is_safe_request_id(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        if log_requests:
            _log_request(response)
        return response


def _log_request(response: Response) -> None:
    started = g.get("request_started")
    duration = (time.perf_counter() - started) * 1000 if started is not None else None
    route = request.url_rule.rule if request.url_rule is not None else None
    requests_log.info(
        "%s %s %d",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "route": route,
            "status": response.status_code,
            "duration_ms": round(duration, 2) if duration is not None else None,
        },
    )
