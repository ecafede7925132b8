"""A bounded load generator for the fault and swarm tests: threads reading and writing through the
published 127.0.0.1 port while something breaks or is updated, every answer counted (many connections
at once: bench/load.py)."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.helpers.blog_api import all_items
from tests.helpers.compose_stack import FIXTURE_FEED_URL


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
    # The blogs the writers add; the stacks' fixture server ignores the query each gets.
    feed_url: str = FIXTURE_FEED_URL
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._numbers = itertools.count()
        self._run = f"{time.time_ns():x}"
        self._auth = {"Authorization": f"Bearer {self.token}"}

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
                        "feed_url": f"{self.feed_url}?load={self._run}-{serial}",
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
                method, path, json=body, headers=self._auth if method != "GET" else None
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


def assert_only_json_503s(outcomes: list[Outcome], bound: float) -> None:
    """Every failure is a 503 with the API's JSON reason; nothing took longer than `bound` seconds."""
    slow = [o for o in outcomes if o.ended - o.started > bound]
    assert not slow, f"{len(slow)} requests took longer than {bound} s"
    broken = [o for o in outcomes if o.status is None or (o.status >= 500 and o.status != 503)]
    assert not broken, f"failures other than 503: {summarize(broken)}; first: {broken[0]}"
    for outcome in outcomes:
        if outcome.status == 503:
            assert isinstance(outcome.body, dict), f"a 503 without JSON: {outcome.body!r}"
            assert outcome.body.get("error") == "service_unavailable", outcome.body


def assert_acknowledged_writes_present(http: httpx.Client, outcomes: list[Outcome]) -> int:
    """Every blog the API acknowledged (201) during the load is stored; returns how many there were."""
    acknowledged = {o.body["id"]: o.sent["name"] for o in outcomes if o.kind == "write" and o.status == 201}
    stored = {blog["id"]: blog["name"] for blog in all_items(http, "/api/v1/blogs")}
    missing = {id_: name for id_, name in acknowledged.items() if stored.get(id_) != name}
    assert not missing, f"{len(missing)} acknowledged writes are missing: {sorted(missing.items())[:5]}"
    return len(acknowledged)
