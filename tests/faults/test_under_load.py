"""Faults under a bounded load, on one stack per database: the database killed and `down`/`up` (last,
since it replaces every container) on PostgreSQL and MariaDB; web restarted and many connections, which
do not depend on the database, on PostgreSQL only.

The load is a few threads reading and writing through the published 127.0.0.1 port; every answer is
counted. What the users may see during a fault is a 503 with a JSON reason, never a 500, an nginx
error page or a hang; what they must never see is a write that was acknowledged and then lost.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from bench.load import wrk
from tests.helpers.compose_stack import Stack
from tests.helpers.prerequisites import require
from tests.helpers.traffic import (
    Load,
    assert_acknowledged_writes_present,
    assert_only_json_503s,
    summarize,
)
from tests.helpers.waiting import wait_until

from .fault_stacks import POSTGRESQL_ONLY, database_accepts, fault_stack, record_figure

pytestmark = pytest.mark.faults

# No request may take longer than this, whatever is broken (the app's connect timeout is 5 s).
REQUEST_BOUND = 12.0
# Within this long of the database answering again, every request must succeed again.
RECOVERY_BOUND = 10.0


@pytest.fixture(scope="module")
def stack(database: str) -> Iterator[Stack]:
    with fault_stack(f"load-{database}", database) as stack:
        yield stack


@pytest.fixture(scope="module")
def token(stack: Stack) -> str:
    return str(stack.create_token("faults"))


def started_at(stack: Stack, *services: str) -> dict[str, tuple[str, int]]:
    """When each container of `services` last started and how often Docker restarted it."""
    return {
        f"{name}:{item['Id'][:12]}": (item["State"]["StartedAt"], item["RestartCount"])
        for name, item in stack.inspect().items()
        if name in services
    }


def everything_answers(stack: Stack, token: str) -> bool:
    http = stack.http
    if http.get("/readyz").status_code != 200 or http.get("/api/v1/blogs?limit=1").status_code != 200:
        return False
    name = f"Probe {time.time_ns()}"
    response = http.post(
        "/api/v1/blogs",
        json={"name": name, "feed_url": f"http://feeds:8080/planet.xml?probe={time.time_ns()}"},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.status_code == 201


def test_a_killed_database_gives_503s_and_recovers_without_restarts(
    stack: Stack, token: str, database: str
) -> None:
    app_containers = started_at(stack, "web", "worker", "proxy")
    load = Load(stack.url(""), token, timeout=REQUEST_BOUND + 3).start()
    try:
        time.sleep(3)
        killed = time.monotonic()
        stack.compose("kill", "db")
        # The API and /readyz say 503 while the database is gone.
        wait_until(lambda: stack.http.get("/readyz").status_code == 503, timeout=15, what="/readyz 503")
        response = stack.http.get("/api/v1/blogs")
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "service_unavailable"
        assert response.headers["Retry-After"]
        page = stack.http.get("/")
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        time.sleep(4)

        stack.compose("start", "db")
        started = time.monotonic()
        wait_until(
            lambda: database_accepts(stack), timeout=60, what=f"{database} to accept connections again"
        )
        accepting = time.monotonic()
        wait_until(
            lambda: everything_answers(stack, token), timeout=RECOVERY_BOUND + 5, what="recovery", every=0.2
        )
        recovered = time.monotonic()
        time.sleep(3)
    finally:
        outcomes = load.stop()

    recovery = recovered - accepting
    counts = summarize(outcomes)
    during = [o for o in outcomes if killed <= o.started <= recovered]
    record_figure(
        f"{database}: db killed: database accepting {accepting - started:.1f} s after `start db`; "
        f"API answering {recovery:.1f} s after that ({recovered - killed:.1f} s outage in all); "
        f"{len(outcomes)} requests: {dict(sorted(counts.items()))}; "
        f"during the outage: {dict(summarize(during))}"
    )
    assert_only_json_503s(outcomes, REQUEST_BOUND)
    assert recovery <= RECOVERY_BOUND
    # Requests after recovery all succeeded.
    after = [o for o in outcomes if o.started > recovered]
    assert after and all(o.status is not None and o.status < 300 for o in after), summarize(after)
    assert_acknowledged_writes_present(stack.http, outcomes)
    assert started_at(stack, "web", "worker", "proxy") == app_containers, "an app container was restarted"


# nginx's words for an answer that `web` began and did not finish (a request cut short in flight).
CUT_SHORT = ("prematurely closed", "upstream timed out")
# Not counted: a request that never reached the app (a replica that is gone, until nginx re-resolves
# `web`); what its client got instead is checked by each test.
NEVER_SENT = "while connecting to upstream"
# A connection `web` reset before reading the request: queued in the listen backlog of a stopping
# gunicorn. The app never saw the request; nginx retries it on another replica when there is one.
RESET = "reset by peer"


def proxy_errors_since(stack: Stack, since: str, words: tuple[str, ...] = CUT_SHORT) -> list[str]:
    logs = stack.compose("logs", "--no-color", "--since", since, "proxy").stdout
    return [
        line for line in logs.splitlines() if any(word in line for word in words) and NEVER_SENT not in line
    ]


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))


@POSTGRESQL_ONLY
def test_restarting_web_drains_in_flight_requests(stack: Stack, token: str) -> None:
    since = utc_now()
    load = Load(stack.url(""), token, timeout=REQUEST_BOUND + 3).start()
    try:
        time.sleep(2)
        began = time.monotonic()
        stack.compose("restart", "web")
        restarted = time.monotonic()
        wait_until(
            lambda: everything_answers(stack, token), timeout=60, what="web to answer again", every=0.2
        )
        answering = time.monotonic()
        time.sleep(2)
    finally:
        outcomes = load.stop()

    resets = len(proxy_errors_since(stack, since, (RESET,)))
    record_figure(
        f"web restarted (1 replica): `restart` took {restarted - began:.1f} s, answering again "
        f"{answering - began:.1f} s after it began; {len(outcomes)} requests: "
        f"{dict(sorted(summarize(outcomes).items()))}; connections reset unread: {resets}"
    )
    assert_only_json_503s(outcomes, REQUEST_BOUND)
    assert not proxy_errors_since(stack, since), "requests in flight were cut short"
    assert_acknowledged_writes_present(stack.http, outcomes)


def health(container: str) -> str:
    command = ["docker", "inspect", "--format", "{{.State.Health.Status}}", container]
    return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout.strip()


def rolling_restart(stack: Stack, service: str) -> list[float]:
    """docs/operations.md's rolling restart: one replica at a time, the next once it is healthy again."""
    seconds = []
    for container in stack.compose("ps", "--quiet", service).stdout.split():
        began = time.monotonic()
        subprocess.run(
            ["docker", "restart", "--time", "25", container], check=True, capture_output=True, timeout=120
        )
        wait_until(
            lambda container=container: health(container) == "healthy",  # type: ignore[misc]
            timeout=90,
            what=f"{service} replica {container[:12]} to be healthy again",
        )
        seconds.append(time.monotonic() - began)
    return seconds


@POSTGRESQL_ONLY
def test_a_rolling_restart_of_two_web_replicas_fails_no_request(stack: Stack, token: str) -> None:
    stack.compose("up", "--detach", "--wait", "--no-recreate", "--scale", "web=2", timeout=300)
    # nginx re-resolves `web` every second; let it see both replicas before the first one goes.
    time.sleep(2)
    since = utc_now()
    load = Load(stack.url(""), token, timeout=REQUEST_BOUND + 3).start()
    try:
        time.sleep(2)
        restarts = rolling_restart(stack, "web")
        time.sleep(3)
    finally:
        outcomes = load.stop()
        # The proxy's log of the restarts, read before scaling back down, which is cleanup, not the
        # promise under test: until nginx re-resolves `web` (every second) it may still pick the
        # removed replica (docs/operations.md).
        cut_short = proxy_errors_since(stack, since)
        resets = len(proxy_errors_since(stack, since, (RESET,)))
        stack.compose("up", "--detach", "--wait", "--no-recreate", "--scale", "web=1", timeout=300)
        time.sleep(2)
    wait_until(lambda: everything_answers(stack, token), timeout=60, what="web to answer on one replica")

    counts = summarize(outcomes)
    failed = [o for o in outcomes if o.status is None or o.status >= 300]
    slowest = max(o.ended - o.started for o in outcomes)
    record_figure(
        f"rolling restart of 2 web replicas: {', '.join(f'{s:.1f} s' for s in restarts)} per replica; "
        f"{len(outcomes)} requests: {dict(sorted(counts.items()))}; failed: {len(failed)}; "
        f"slowest {slowest:.1f} s; connections reset unread: {resets}"
    )
    assert not failed, f"failed requests: {summarize(failed)}; first: {failed[0]}"
    assert not cut_short, "requests in flight were cut short"
    assert_acknowledged_writes_present(stack.http, outcomes)


# --- Many connections -------------------------------------------------------------------------------

CONNECTIONS = 256
SECONDS = 30
# Two cached API reads, the uncached liveness probe (every request reaches the app) and a 133 KB page.
READ_PATHS = ("/api/v1/blogs?limit=5", "/api/v1/entries?limit=5", "/healthz", "/")


def memory_within_limits(stack: Stack) -> dict[str, tuple[int, int]]:
    """(used, limit) bytes of every running container of the stack, from `docker stats`."""
    ids = stack.compose("ps", "--quiet").stdout.split()
    result = subprocess.run(
        ["docker", "stats", "--no-stream", "--format", "{{json .}}", *ids],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    usage = {}
    for line in result.stdout.splitlines():
        item = json.loads(line)
        used, limit = (parse_bytes(part) for part in item["MemUsage"].split(" / "))
        usage[item["Name"]] = (used, limit)
    return usage


def parse_bytes(text: str) -> int:
    number, unit = re.fullmatch(r"([0-9.]+)\s*([A-Za-z]*)", text.strip()).groups()
    scale = {"B": 1, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "KB": 10**3, "MB": 10**6, "GB": 10**9}
    return int(float(number) * scale[unit.upper() or "B"])


def unusual_log_lines(stack: Stack, since: str, last: int = 30) -> list[str]:
    """The proxy's and the app's log lines since `since`, but for the proxy's 200s: why an answer failed."""
    logs = stack.compose("logs", "--no-color", "--since", since, "proxy", "web").stdout
    return [line for line in logs.splitlines() if '" 200 ' not in line][-last:]


@POSTGRESQL_ONLY
def test_256_connections_for_30_seconds_get_no_errors_within_memory_limits(stack: Stack) -> None:
    require(shutil.which("wrk") is not None, "the many-connections test needs wrk (apt-get install wrk)")
    before = started_at(stack, "db", "web", "worker", "proxy")
    since = utc_now()
    peak: dict[str, tuple[int, int]] = {}

    def sample() -> None:
        while not done.is_set():
            for name, (used, limit) in memory_within_limits(stack).items():
                if used >= peak.get(name, (0, 0))[0]:
                    peak[name] = (used, limit)
            done.wait(3)

    done = threading.Event()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        load = wrk(stack.url("/"), CONNECTIONS, SECONDS, paths=list(READ_PATHS), timeout=REQUEST_BOUND)
    finally:
        done.set()
        sampler.join(90)

    memory = ", ".join(
        f"{name.split('-')[-2]} {used / 2**20:.0f}/{limit / 2**20:.0f} MiB"
        for name, (used, limit) in sorted(peak.items())
    )
    record_figure(
        f"{CONNECTIONS} connections for {SECONDS} s (wrk): {load['requests']} requests "
        f"({load['rps']:.0f}/s), errors {load['errors']}, p50 {load['p50_ms']:.0f} ms, "
        f"p99 {load['p99_ms']:.0f} ms, max {load['max_ms'] / 1000:.1f} s; peak memory: {memory}"
    )
    assert load["requests"] > 0, load
    assert load["error_count"] == 0, (load["errors"], unusual_log_lines(stack, since))
    assert peak, "docker stats gave no figures"
    assert all(used < limit for used, limit in peak.values()), peak
    inspected = stack.inspect()
    assert not any(item["State"]["OOMKilled"] for item in inspected.values())
    assert started_at(stack, "db", "web", "worker", "proxy") == before, "a container restarted under load"


# --- down, then up, under writes (replaces every container: keep last) --------------------------------


def test_down_then_up_under_writes_loses_nothing_acknowledged(
    stack: Stack, token: str, database: str
) -> None:
    load = Load(stack.url(""), token, readers=1, writers=3, timeout=REQUEST_BOUND).start()
    try:
        time.sleep(3)
        began = time.monotonic()
        stack.down(volumes=False)
        stack.up()
        back = time.monotonic()
        time.sleep(3)
    finally:
        outcomes = load.stop()
    acknowledged = assert_acknowledged_writes_present(stack.http, outcomes)
    record_figure(
        f"{database}: down + up under writes: {back - began:.1f} s without service; "
        f"{len(outcomes)} requests: {dict(sorted(summarize(outcomes).items()))}; "
        f"{acknowledged} acknowledged writes, all kept"
    )
    # While the proxy was gone, connections were refused: an error the client sees at once, no hang.
    assert all(o.ended - o.started <= REQUEST_BOUND + 1 for o in outcomes)
    assert not [o for o in outcomes if o.status is not None and o.status >= 500 and o.status != 503]
    after = [o for o in outcomes if o.started > back]
    assert after and all(o.status is not None and o.status < 300 for o in after), summarize(after)
