"""Fault fixtures: the e2e `Stack` helpers, a bounded load generator, and the scripts under test.

The e2e helpers (tests/e2e/conftest.py) are loaded from their file, so these tests reuse them
whether or not tests/e2e is collected in the same run. Each fault stack is its own Compose project
(`blogroll-faults-...`) on a free 127.0.0.1 port with its own image tag, always removed with `down -v`.
Measured figures (recovery seconds, error counts) are printed at the end of the run ("fault figures").
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

_E2E_CONFTEST = Path(__file__).resolve().parents[1] / "e2e" / "conftest.py"
_spec = importlib.util.spec_from_file_location("blogroll_e2e_helpers", _E2E_CONFTEST)
assert _spec is not None and _spec.loader is not None
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

Stack = e2e.Stack
ROOT: Path = e2e.ROOT

# The benchmark suite's wrk runner (bench/load.py), for the many-connections test.
_spec = importlib.util.spec_from_file_location("blogroll_bench_load", ROOT / "bench" / "load.py")
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)
wait_until = e2e.wait_until
FAULTS_DIR = Path(__file__).resolve().parent
# Its own image tag, so a fault run never replaces the image an e2e run is using at the same time.
IMAGE = "blogroll-faults"
# The fixture feed of the e2e `feeds` service; its server ignores the query, so `?n=...` gives each
# blog its own feed URL with the same three entries.
FEED_URL = e2e.FIXTURE_FEED_URL
FIXTURE_TITLES: list[str] = e2e.FIXTURE_TITLES

_figures = e2e.Figures("fault figures", "faults")
record_figure = _figures.record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    _figures.summarize(terminalreporter)


# The two databases of the Compose stack (compose.yaml, + compose.mariadb.yaml). A test that takes the
# `database` fixture runs on both; `@pytest.mark.parametrize("database", [...], indirect=True)` narrows it.
DATABASES = ("postgresql", "mariadb")
# Run in the `db` container, each succeeds once that database accepts connections (its health check).
DATABASE_ACCEPTS = {
    "postgresql": ("pg_isready", "-h", "127.0.0.1"),
    "mariadb": ("healthcheck.sh", "--connect", "--innodb_initialized"),
}


@pytest.fixture(scope="module", params=DATABASES)
def database(request: pytest.FixtureRequest) -> str:
    """The stack's database: module-scoped, so a module's tests share one stack per database."""
    return str(request.param)


# For a test of a module whose stack takes `database` that says nothing about the database.
POSTGRESQL_ONLY = pytest.mark.parametrize("database", ["postgresql"], indirect=True)


def database_of(stack: Any) -> str:
    """Which database `stack` runs: MariaDB when its files include compose.mariadb.yaml."""
    return "mariadb" if ROOT / "compose.mariadb.yaml" in stack.files else "postgresql"


def database_accepts(stack: Any) -> bool:
    """True when the stack's database accepts connections now (its own client, inside `db`)."""
    command = DATABASE_ACCEPTS[database_of(stack)]
    return bool(stack.compose("exec", "-T", "db", *command, check=False).returncode == 0)


def stack_files(variant: str, *extra: Path) -> list[Path]:
    """The production files (+ MariaDB) + the e2e additions (fixture feeds) + any fault additions."""
    return [*e2e.production_files(variant), *extra]


def fault_stack(name: str, variant: str = "postgresql", *extra: Path) -> Any:
    """A context manager: a running fault stack from a clean state, always removed with its volumes."""
    return e2e.running_stack(
        f"blogroll-faults-{name}", stack_files(variant, *extra), label=f"faults {name}", image=IMAGE
    )


def compose_environment(stack: Any) -> dict[str, str]:
    """The environment that points plain `docker compose` (as in scripts/backup) at `stack`."""
    env = stack.environment()
    env["COMPOSE_PROJECT_NAME"] = stack.project
    env["COMPOSE_FILE"] = os.pathsep.join(str(path) for path in stack.files)
    return env


def run_script(
    stack: Any, *args: str, check: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Runs one of scripts/ against `stack`; with `check`, fails the test when it exits non-zero."""
    result = subprocess.run(
        [str(ROOT / "scripts" / args[0]), *args[1:]],
        cwd=ROOT,
        env=compose_environment(stack),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert not check or result.returncode == 0, (
        f"scripts/{args[0]} exited with {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    return result


def all_items(stack: Any, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paginated list, following `next` to the end."""
    items: list[dict[str, Any]] = []
    response = stack.http.get(path, params={"limit": 100, **params})
    while True:
        response.raise_for_status()
        body = response.json()
        items.extend(body["items"])
        if not body["next"]:
            return items
        response = stack.http.get(body["next"])


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add_blogs(
    stack: Any, token: str, count: int, *, prefix: str, feed_url: str = FEED_URL
) -> list[dict[str, Any]]:
    """`count` blogs on a fixture feed (the e2e one by default), each with its own feed URL (the
    fixture server ignores the query); returns what the API answered."""
    blogs = []
    for number in range(count):
        response = stack.http.post(
            "/api/v1/blogs",
            json={"name": f"{prefix} {number}", "feed_url": f"{feed_url}?{prefix}={number}"},
            headers=auth(token),
        )
        assert response.status_code == 201, response.text
        blogs.append(response.json())
    return blogs


# --- A bounded load generator ---------------------------------------------------------------------


@dataclass
class Outcome:
    """One request: when it started and ended (monotonic), its kind, and a status or an error name."""

    kind: str
    started: float
    ended: float
    status: int | None
    error: str | None = None
    body: Any = None
    sent: Any = None


@dataclass
class Load:
    """Threads sending reads and writes to the published 127.0.0.1 port until stopped (or `limit`)."""

    base_url: str
    token: str
    readers: int = 2
    writers: int = 2
    timeout: float = 15.0
    limit: float = 120.0
    # Between two requests of one thread. Writes stay under the proxy's rate limit (10 a second).
    read_pause: float = 0.02
    write_pause: float = 0.3
    read_paths: tuple[str, ...] = ("/api/v1/blogs?limit=5", "/api/v1/entries?limit=5", "/readyz")
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._numbers = itertools.count()
        self._run = f"{time.time_ns():x}"

    def start(self) -> Load:
        for number in range(self.readers):
            self._threads.append(threading.Thread(target=self._loop, args=("read", number), daemon=True))
        for number in range(self.writers):
            self._threads.append(threading.Thread(target=self._loop, args=("write", number), daemon=True))
        self._deadline = time.monotonic() + self.limit
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> list[Outcome]:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)
        assert not any(thread.is_alive() for thread in self._threads), "a load thread hangs"
        return self.outcomes

    def __enter__(self) -> Load:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _loop(self, kind: str, number: int) -> None:
        # A client per thread; no keep-alive reuse across a dead upstream matters: nginx answers.
        with httpx.Client(base_url=self.base_url, timeout=self.timeout, trust_env=False) as client:
            paths = itertools.cycle(self.read_paths)
            while not self._stop.is_set() and time.monotonic() < self._deadline:
                if kind == "read":
                    self._send(client, "read", "GET", next(paths), None)
                else:
                    serial = next(self._numbers)
                    body = {
                        "name": f"Load {self._run} {serial}",
                        "feed_url": f"{FEED_URL}?load={self._run}-{serial}",
                    }
                    self._send(client, "write", "POST", "/api/v1/blogs", body)
                self._stop.wait(self.read_pause if kind == "read" else self.write_pause)

    def _send(self, client: httpx.Client, kind: str, method: str, path: str, body: Any) -> None:
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        answer: Any = None
        try:
            response = client.request(
                method, path, json=body, headers=auth(self.token) if method != "GET" else None
            )
            status = response.status_code
            try:
                answer = response.json()
            except ValueError:
                answer = response.text[:200]
        except httpx.HTTPError as problem:
            error = type(problem).__name__
        outcome = Outcome(kind, started, time.monotonic(), status, error, answer, body)
        with self._lock:
            self.outcomes.append(outcome)


def summarize(outcomes: list[Outcome]) -> Counter[str]:
    """Counts by kind and status (`write 201`, `read 503`, `read ReadTimeout`)."""
    return Counter(f"{o.kind} {o.status if o.status is not None else o.error}" for o in outcomes)


@pytest.fixture
def docker_required() -> None:
    e2e.require_docker()
