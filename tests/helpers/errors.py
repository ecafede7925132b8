"""The API's documented error answer, checked the same way for the test client and a real server."""

from __future__ import annotations

import re
from typing import Any

import httpx
from werkzeug.test import TestResponse

# What an error answer must never show: a stack trace, the database layer, memory addresses, files.
LEAKS = (
    "Traceback",
    'File "',
    "Error:",
    "0x",
    "sqlalchemy",
    "psycopg",
    "pymysql",
    "sqlite3",
    "root:x:0:0",
)


def assert_json_error(response: TestResponse | httpx.Response, status: int, error: str) -> dict[str, Any]:
    """The JSON error `{"error", "message", "details"}` with `status` and code `error`, a request id, and
    nothing leaked; returns its body."""
    text = response.text if isinstance(response, httpx.Response) else response.get_data(as_text=True)
    assert response.status_code == status, text[:2000]
    assert response.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json() if isinstance(response, httpx.Response) else response.json  # type: ignore[assignment]
    assert set(body) == {"error", "message", "details"}
    assert body["error"] == error
    assert isinstance(body["message"], str) and body["message"]
    assert re.fullmatch(r"[A-Za-z0-9._-]{8,64}", response.headers["X-Request-ID"])
    for leak in LEAKS:
        assert leak not in text
    return body
