"""The Compose stack on a real Docker engine, driven only through the proxy (e2e and fault tests, bench).

A `Stack` is one Compose project under its own name (`blogroll-e2e-...`), so `down -v` never
touches a developer's data, with the proxy published on a free 127.0.0.1 port. `running_stack`
brings it up with `up --build --wait` and always tears it down with `down -v --remove-orphans`.
Without a Docker engine the tests skip with the reason; in CI (CI=true) they fail instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.ports import free_port
from tests.helpers.prerequisites import IN_CI

ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = ROOT / "tests" / "e2e"
E2E_COMPOSE = E2E_DIR / "compose.e2e.yaml"
# Interpolated by compose.yaml into BLOGROLL_GREETING, so the tests can see configuration arrive.
GREETING = "Hello from the e2e stack!"
# The test stacks build their own image name, so they never replace a developer's `blogroll` image.
IMAGE = "blogroll-e2e"
# The fixture feed served by the `feeds` service (tests/e2e/feeds/planet.xml), newest first.
FIXTURE_FEED_URL = "http://feeds:8080/planet.xml"
FIXTURE_TITLES = ["Fixture post three", "Fixture post two", "Fixture post one"]
UP_TIMEOUT = 300


class Figures:
    """Measured figures, each printed as it is taken and again in a section at the end of the run
    (so they show even without `-s`); the fault tests keep theirs in one too."""

    def __init__(self, section: str, tag: str) -> None:
        self.section, self.tag, self.lines = section, tag, list[str]()

    def record(self, message: str) -> None:
        self.lines.append(message)
        print(f"[{self.tag}] {message}")

    def summarize(self, terminalreporter: Any) -> None:
        if self.lines:
            terminalreporter.section(self.section)
            for line in self.lines:
                terminalreporter.write_line(line)


# Printed at the end of the run by tests/e2e/conftest.py.
timings = Figures("e2e timings", "e2e")
record_timing = timings.record


def docker_problem() -> str | None:
    """Why Docker cannot run the stack here, or None when it can."""
    if shutil.which("docker") is None:
        return "the `docker` command is not installed"
    try:
        engine = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        plugin = subprocess.run(
            ["docker", "compose", "version", "--short"], capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        return "the Docker engine does not answer"
    if engine.returncode != 0:
        return "the Docker engine is not running (start it: bash ../shared/containers/engine-up)"
    if plugin.returncode != 0:
        return "the Docker Compose plugin is missing"
    return None


def require_docker() -> None:
    """Skips with the reason outside CI; in CI a missing engine is a failure, never a skip."""
    problem = docker_problem()
    if problem is None:
        return
    if IN_CI:
        pytest.fail(f"CI must run the e2e tests, but {problem}", pytrace=False)
    pytest.skip(f"e2e tests need Docker: {problem}")


class StackError(Exception):
    """A `docker compose` command failed; the message carries its output."""


class Stack:
    """One Compose project: its files, its name, the published port, and commands against it."""

    def __init__(
        self,
        project: str,
        files: list[Path],
        directory: Path = ROOT,
        *,
        image: str = IMAGE,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.project = project
        self.files = files
        self.directory = directory
        self.image = image
        # Variables the compose files read (BLOGROLL_TLS_CERT, ...), beside the ones every stack gets.
        self.settings = settings or {}
        self.port = free_port()
        self.http = httpx.Client(base_url=self.url(""), timeout=15, trust_env=False)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def environment(self) -> dict[str, str]:
        """The caller's environment minus anything that would steer Compose or the app elsewhere."""
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("COMPOSE_", "BLOGROLL_", "DATABASE_URL"))
        }
        env.update(
            BLOGROLL_BIND="127.0.0.1",
            BLOGROLL_PORT=str(self.port),
            BLOGROLL_IMAGE=self.image,
            BLOGROLL_GREETING=GREETING,
        )
        env.update(self.settings)
        return env

    def command(self, *args: str) -> list[str]:
        files = [arg for file in self.files for arg in ("--file", str(file))]
        return [
            "docker",
            "compose",
            "--project-name",
            self.project,
            "--project-directory",
            str(self.directory),
            *files,
            *args,
        ]

    def compose(
        self, *args: str, check: bool = True, timeout: float = 120, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = self.command(*args)
        result = subprocess.run(
            command,
            cwd=self.directory,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
        )
        if check and result.returncode != 0:
            raise StackError(
                f"`{' '.join(command)}` exited with {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def up(self) -> float:
        """`up --detach --build --wait`; returns the seconds it took. On failure, shows the logs."""
        started = time.monotonic()
        try:
            self.compose(
                "up",
                "--detach",
                "--build",
                "--wait",
                "--wait-timeout",
                str(UP_TIMEOUT),
                timeout=UP_TIMEOUT + 120,
            )
        except StackError as error:
            logs = self.compose("logs", "--no-color", "--tail", "80", check=False).stdout
            raise StackError(f"{error}\n--- logs (last 80 lines per service)\n{logs}") from None
        return time.monotonic() - started

    def down(self, *, volumes: bool) -> None:
        args = ["down", "--remove-orphans", "--timeout", "30"]
        if volumes:
            args.append("--volumes")
        self.compose(*args, timeout=180)

    def exec(self, service: str, *command: str, user: str | None = None, input: str | None = None) -> str:
        """Runs a command in a running service's container (`input` on its stdin); returns its stdout."""
        options = ["--user", user] if user else []
        return self.compose("exec", "-T", *options, service, *command, input=input).stdout

    def logs(self) -> str:
        return self.compose("logs", "--no-color").stdout

    def container_ids(self) -> list[str]:
        """Every container of the project, one-shot ones that have exited included."""
        for _ in range(5):
            result = self.compose("ps", "--all", "--quiet", check=False)
            # `ps` lists the containers, then inspects each: one removed in between (watch or `up`
            # replacing it) fails the whole command. Ask again.
            if result.returncode == 0 or "No such container" not in result.stderr:
                break
            time.sleep(0.2)
        if result.returncode != 0:
            raise StackError(f"`docker compose ps` exited with {result.returncode}: {result.stderr}")
        return result.stdout.split()

    def inspect(self) -> dict[str, dict[str, Any]]:
        """`docker inspect` of every container, by service name (one being replaced is skipped)."""
        ids = self.container_ids()
        # Exits 1 when a container vanished between `ps` and `inspect`, still printing the others.
        result = subprocess.run(["docker", "inspect", *ids], capture_output=True, text=True, timeout=60)
        return {
            item["Config"]["Labels"]["com.docker.compose.service"]: item
            for item in json.loads(result.stdout or "[]")
        }

    def volumes(self) -> list[str]:
        result = subprocess.run(
            [
                "docker",
                "volume",
                "ls",
                "--quiet",
                "--filter",
                f"label=com.docker.compose.project={self.project}",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return sorted(result.stdout.split())

    def create_token(self, name: str) -> str:
        """The README's way to get an API token: `docker compose exec web blogroll tokens create`."""
        output = self.exec("web", "blogroll", "tokens", "create", "--name", name)
        token = output.strip().splitlines()[-1].strip()
        assert token, f"`blogroll tokens create` printed no token: {output!r}"
        return token

    def close(self) -> None:
        self.http.close()


@contextmanager
def running_stack(
    project: str,
    files: list[Path],
    *,
    directory: Path = ROOT,
    label: str,
    image: str = IMAGE,
    settings: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """A stack brought up from a clean state, always removed with its volumes afterwards."""
    require_docker()
    stack = Stack(project, files, directory, image=image, settings=settings)
    try:
        # Leftovers of an interrupted earlier run would make "from a clean state" untrue.
        stack.down(volumes=True)
        seconds = stack.up()
        record_timing(f"{label}: `up --detach --build --wait` from a clean state took {seconds:.1f} s")
        yield stack
    finally:
        try:
            stack.down(volumes=True)
        finally:
            stack.close()


def production_files(variant: str) -> list[Path]:
    """compose.yaml (+ the MariaDB variant) + the e2e additions; never the dev override."""
    files = [ROOT / "compose.yaml"]
    if variant == "mariadb":
        files.append(ROOT / "compose.mariadb.yaml")
    files.append(E2E_COMPOSE)
    return files
