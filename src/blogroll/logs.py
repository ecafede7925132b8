"""Logging to stdout, each line tagged with the request id that the client also sees."""

from __future__ import annotations

import logging
import re
import sys
import uuid

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's request id is reused only if it looks like one, so logs cannot be forged through it.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure(level: str) -> None:
    """One stdout handler on the root logger; calling it again only changes the level."""
    root = logging.getLogger()
    root.setLevel(level)
    if any(getattr(handler, "blogroll", False) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.blogroll = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root.addHandler(handler)


def init_app(app: Flask) -> None:
    @app.before_request
    def _assign_request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        return response
