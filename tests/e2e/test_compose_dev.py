"""The dev loop (compose.yaml + compose.override.yaml with `docker compose watch`): edits go live.

The stack runs from a copy of the project in a temporary folder, so the tests can edit its source
without ever touching the real src/.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.compose_stack import GREETING, Stack, record_timing, running_stack
from tests.helpers.dev_stack import PROBE_VIEW, copy_project, marker, seconds_until
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project that the tests may edit freely."""
    return copy_project(tmp_path_factory.mktemp("blogroll-dev"))


@pytest.fixture(scope="module")
def stack(workdir: Path) -> Iterator[Stack]:
    files = [workdir / "compose.yaml", workdir / "compose.override.yaml"]
    with running_stack("blogroll-e2e-dev", files, directory=workdir, label="dev stack") as stack:
        yield stack


@pytest.fixture(scope="module")
def watch(stack: Stack, workdir: Path) -> Iterator[Path]:
    """`docker compose watch` running in the background; yields the file it logs to."""
    log_path = workdir / "watch.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            stack.command("watch", "--no-up"),
            cwd=workdir,
            env=stack.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(
                lambda: "Watch enabled" in log_path.read_text(),
                timeout=60,
                what="`docker compose watch` to start",
            )
            yield log_path
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def started_at(stack: Stack, service: str) -> str:
    started: str = stack.inspect()[service]["State"]["StartedAt"]
    return started


def test_the_dev_stack_serves_the_app(stack: Stack) -> None:
    assert stack.http.get("/api/v1/").json()["message"] == GREETING
    assert stack.http.get("/e2e-reload").status_code == 404


def test_the_app_processes_run_as_the_production_user(stack: Stack) -> None:
    for service in ("web", "worker"):
        top = stack.compose("top", service).stdout.splitlines()
        app_processes = [line.split() for line in top[1:] if "/app/.venv/bin/" in line]
        assert app_processes, f"no app process in {service}:\n{top}"
        assert {fields[2] for fields in app_processes} == {"10001"}, top


def test_a_token_can_be_created_in_the_dev_stack(stack: Stack) -> None:
    assert stack.create_token("dev").startswith("blr_")


def test_an_edit_to_a_view_changes_the_response(stack: Stack, workdir: Path, watch: Path) -> None:
    health = workdir / "src" / "blogroll" / "health.py"

    health.write_text(health.read_text() + PROBE_VIEW.format(marker="first"))
    added = seconds_until(lambda: marker(stack) == "first", what="the new view to answer")
    health.write_text(health.read_text().replace('"marker": "first"', '"marker": "second"'))
    changed = seconds_until(lambda: marker(stack) == "second", what="the changed view to answer")

    record_timing(f"hot reload: a new view answered {added:.1f} s after the edit")
    record_timing(f"hot reload: a changed view answered {changed:.1f} s after the edit")


def test_the_worker_restarts_after_an_edit(stack: Stack, workdir: Path, watch: Path) -> None:
    before = started_at(stack, "worker")
    module = workdir / "src" / "blogroll" / "worker" / "__init__.py"

    module.write_text(module.read_text() + "\n# edited by the e2e tests\n")
    seconds = seconds_until(lambda: started_at(stack, "worker") != before, what="the worker to be restarted")

    record_timing(f"hot reload: the worker restarted {seconds:.1f} s after an edit")
    assert stack.inspect()["worker"]["State"]["Running"] is True


def test_a_dependency_change_rebuilds_the_image(stack: Stack, workdir: Path, watch: Path) -> None:
    old_container = stack.inspect()["web"]["Id"]
    pyproject = workdir / "pyproject.toml"

    pyproject.write_text(pyproject.read_text() + "\n# edited by the e2e tests\n")
    started = time.monotonic()
    wait_until(
        lambda: stack.inspect()["web"]["Id"] != old_container,
        timeout=300,
        what="watch to rebuild the image and recreate web",
        every=1,
    )
    wait_until(
        lambda: stack.http.get("/api/v1/").status_code == 200,
        timeout=120,
        what="the rebuilt web to answer",
    )
    record_timing(
        f"dev loop: a pyproject.toml edit was rebuilt and serving after {time.monotonic() - started:.1f} s"
    )
    assert "# edited by the e2e tests" in stack.exec("web", "cat", "/app/pyproject.toml")
