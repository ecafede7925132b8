"""BLOGROLL_LOG_FORMAT=json: every line a process writes is one JSON object a collector can read."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import httpx
import pytest
from flask.testing import FlaskClient

from blogroll import create_app
from blogroll.logs import JsonFormatter
from tests.helpers.ports import free_port
from tests.helpers.processes import Processes, server_env
from tests.helpers.settings import make_settings
from tests.helpers.waiting import wait_until_healthy


def json_lines(records: list[logging.LogRecord]) -> list[dict[str, object]]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(record)) for record in records]


def test_each_request_is_one_json_line_with_its_route_status_and_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'b.db'}", log_format="json", log_level="INFO"))
    client: FlaskClient = app.test_client()
    with caplog.at_level(logging.INFO, logger="blogroll.requests"):
        response = client.get(
            "/blogs/12345?secret=query-value", headers={"Authorization": "Bearer token-value-123"}
        )

    lines = [line for line in json_lines(caplog.records) if line["logger"] == "blogroll.requests"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["method"] == "GET"
    assert line["path"] == "/blogs/12345"
    assert str(line["route"]).startswith("/blogs/<")
    assert line["status"] == response.status_code
    assert isinstance(line["duration_ms"], float)
    assert str(line["time"]).endswith("+00:00")
    text = json.dumps(line)
    assert "token-value-123" not in text
    assert "query-value" not in text


def test_a_traceback_is_one_field_of_one_line() -> None:
    try:
        raise ValueError("something broke")
    except ValueError:
        record = logging.getLogger("blogroll.test").makeRecord(
            "blogroll.test", logging.ERROR, __file__, 1, "failed: %s", ("here",), sys.exc_info()
        )
    output = JsonFormatter().format(record)
    assert "\n" not in output
    line = json.loads(output)
    assert line["message"] == "failed: here"
    assert line["level"] == "ERROR"
    assert "ValueError: something broke" in line["error"]


def test_text_is_the_default_and_logs_no_request_lines_of_its_own(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'b.db'}", log_level="INFO"))
    with caplog.at_level(logging.INFO, logger="blogroll.requests"):
        app.test_client().get("/healthz")
    assert [r for r in caplog.records if r.name == "blogroll.requests"] == []


def test_blogroll_run_in_json_mode_writes_only_json_lines(tmp_path: Path, processes: Processes) -> None:
    """gunicorn's own start-up lines too, and the request lines that replace its access log."""
    port = free_port()
    env = server_env(
        tmp_path, BLOGROLL_LOG_FORMAT="json", BLOGROLL_LOG_LEVEL="INFO", BLOGROLL_EMBEDDED_WORKER="false"
    )
    process = processes.start("run", "--port", str(port), env=env)
    wait_until_healthy(f"http://127.0.0.1:{port}", process, lambda: processes.output(process), 30)
    assert httpx.get(f"http://127.0.0.1:{port}/api/v1/blogs", timeout=10).status_code == 200
    process.terminate()
    process.wait(timeout=30)
    lines = processes.output(process).splitlines()
    # The one line `blogroll run` prints for the person who started it is not a log line.
    logged = [line for line in lines if not line.startswith("Blogroll ")]
    parsed = [json.loads(line) for line in logged]
    assert any(entry["logger"].startswith("gunicorn") for entry in parsed)
    requests = [entry for entry in parsed if entry["logger"] == "blogroll.requests"]
    assert any(entry["route"] == "/api/v1/blogs" and entry["status"] == 200 for entry in requests)
