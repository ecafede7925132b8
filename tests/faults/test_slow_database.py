"""The stack started while the database is slow to come up: `up --wait` waits for it and succeeds."""

from __future__ import annotations

import time

import pytest

from .fault_stacks import FAULTS_DIR, fault_stack, record_figure

pytestmark = pytest.mark.faults

DELAY = 20


def test_up_waits_for_a_slow_database(docker_required: None, database: str) -> None:
    began = time.monotonic()
    # running_stack fails the test unless `up --wait` succeeds (every service healthy or completed).
    with fault_stack(f"slow-db-{database}", database, FAULTS_DIR / "compose.slow-db.yaml") as stack:
        seconds = time.monotonic() - began
        record_figure(
            f"{database}: db delayed {DELAY} s: `up --wait` succeeded {seconds:.1f} s after the start"
        )
        assert seconds >= DELAY
        assert stack.http.get("/readyz").status_code == 200
        assert stack.http.get("/api/v1/blogs").status_code == 200
        logs = stack.compose("logs", "--no-color", "web", "worker", "migrate").stdout
        assert "Traceback" not in logs, logs
