"""Blogroll on the swarm when tasks share work and when they die: two worker replicas fetch each
fixture feed exactly once in a pass; a worker killed mid-pass comes back under its slot's name and
takes its claims back at once; the database killed gives JSON 503s until swarm has started it again,
then everything answers without any app task restarted.

Runs after test_swarm_stack.py on the same stack (the file order), and the database last of all.
The fixture feeds are served by the `feeds` service of tests/swarm/stack.test.yaml, on the back
network: /slow/ takes about 3.5 s a feed, so a pass of 24 blogs is still running when a worker dies.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.helpers.blog_api import add_blogs, all_items
from tests.helpers.compose_stack import FIXTURE_TITLES
from tests.helpers.traffic import (
    Load,
    assert_acknowledged_writes_present,
    assert_only_json_503s,
    summarize,
)
from tests.helpers.waiting import wait_until

from .swarm import SwarmStack, docker

pytestmark = pytest.mark.swarm

BLOGS = 24
SLOW_FEED = "http://feeds:8080/slow/planet.xml"
# A lease with the worker settings of stack.test.yaml: (60 s total + 20 s read + 30 s) x (8 claims in
# hand / 4 per host): claims of a dead worker would wait this long if nothing took them back.
LEASE = 220.0
# No request may take longer than this, whatever is broken (the app's connect timeout is 5 s).
REQUEST_BOUND = 12.0
# The writers' blogs point outside: the workers' failed fetches stay out of the counted feeds.
OUTSIDE_FEED = "https://blog.example.org/feed.xml"
FEED_REQUEST = re.compile(r'^(?P<client>\S+) "GET (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) ')


@pytest.fixture(scope="module")
def token(stack: SwarmStack) -> str:
    return stack.create_token()


@pytest.fixture(scope="module")
def two_workers(stack: SwarmStack) -> Iterator[None]:
    """Both replicas of the worker running, for this module's tests."""
    stack.scale("worker", 2)
    wait_until(lambda: len(stack.containers("worker")) == 2, timeout=90, what="two workers")
    yield


def feed_requests(stack: SwarmStack, marker: str) -> list[tuple[str, str]]:
    """(client address, path) of every request the feed server answered for blogs named `marker`."""
    found = []
    for line in stack.logs("feeds").splitlines():
        match = FEED_REQUEST.match(line)
        if match and f"?{marker}=" in match["path"]:
            found.append((match["client"], match["path"]))
    return found


def fetched(stack: SwarmStack, blog_ids: set[int]) -> dict[int, dict[str, object]]:
    """The fetch state of those blogs that have been fetched (successfully or not) at least once."""
    with stack.http() as http:
        blogs = all_items(http, "/api/v1/blogs")
    return {
        blog["id"]: blog["fetch"]
        for blog in blogs
        if blog["id"] in blog_ids and blog["fetch"]["last_fetched_at"] is not None
    }


def entries_by_blog(stack: SwarmStack, blog_ids: set[int]) -> dict[int, list[str]]:
    with stack.http() as http:
        entries = all_items(http, "/api/v1/entries")
    by_blog: dict[int, list[str]] = {}
    for entry in entries:
        if entry["blog_id"] in blog_ids:
            by_blog.setdefault(entry["blog_id"], []).append(entry["guid"])
    return by_blog


def assert_every_blog_fetched_whole(stack: SwarmStack, blog_ids: set[int]) -> None:
    states = fetched(stack, blog_ids)
    failing = {id_: state for id_, state in states.items() if state["last_status"] != 200}
    assert sorted(states) == sorted(blog_ids) and not failing, failing
    for blog_id, guids in entries_by_blog(stack, blog_ids).items():
        assert sorted(guids) == sorted(set(guids)), f"blog {blog_id} has duplicate entries: {guids}"
        assert len(guids) == len(FIXTURE_TITLES), f"blog {blog_id} has a partial set of entries: {guids}"


def test_two_workers_fetch_each_feed_exactly_once_per_pass(stack: SwarmStack, token: str) -> None:
    # Stopped while the blogs are added, so they all fall due in the same pass for both.
    begun = time.monotonic()
    stack.scale("worker", 0)
    wait_until(lambda: not stack.containers("worker"), timeout=60, what="the workers to stop")
    stopped = time.monotonic() - begun
    with stack.http() as http:
        blog_ids = {blog["id"] for blog in add_blogs(http, token, BLOGS, prefix="pass", feed_url=SLOW_FEED)}
    stack.scale("worker", 2)
    started = time.monotonic()
    wait_until(lambda: len(fetched(stack, blog_ids)) == BLOGS, timeout=120, what="a pass over every blog")
    passed = time.monotonic() - started
    # The feed server logs a request once answered; every answer was in before its blog was stored.
    wait_until(lambda: len(feed_requests(stack, "pass")) >= BLOGS, timeout=15, what="the feed server's log")
    time.sleep(2)
    requests = feed_requests(stack, "pass")
    workers = {stack.address(container, "back") for container in stack.containers("worker")}

    per_feed = Counter(path for _, path in requests)
    print(
        f"[swarm] workers stopped in {stopped:.1f} s; two started and fetched {BLOGS} slow feeds "
        f"in {passed:.1f} s; "
        f"requests by worker address: {dict(Counter(client for client, _ in requests))}"
    )
    assert sorted(per_feed) == sorted(f"/slow/planet.xml?pass={n}" for n in range(BLOGS))
    assert set(per_feed.values()) == {1}, {path: n for path, n in per_feed.items() if n != 1}
    # Both replicas took part: the pass was shared, not done by one of them.
    assert {client for client, _ in requests} == workers and len(workers) == 2
    assert_every_blog_fetched_whole(stack, blog_ids)


def test_a_killed_worker_takes_its_claims_back_at_once(
    stack: SwarmStack, token: str, two_workers: None
) -> None:
    with stack.http() as http:
        blog_ids = {blog["id"] for blog in add_blogs(http, token, BLOGS, prefix="kill", feed_url=SLOW_FEED)}

    def mid_pass() -> bool:
        holding = dict(
            stack.sql("SELECT claimed_by, count(*) FROM blogs WHERE claimed_until IS NOT NULL GROUP BY 1")
        )
        return int(holding.get("worker-1", 0)) > 0 and 0 < len(fetched(stack, blog_ids)) < BLOGS

    wait_until(mid_pass, timeout=60, what="worker-1 to hold claims in the middle of the pass", every=0.2)
    victim = stack.container_of("worker", "worker-1")
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    docker("kill", "--signal", "KILL", victim)
    killed = time.monotonic()
    # Its claims stay behind (a lease of LEASE seconds) until the slot's next task takes them back.
    left = int(stack.sql("SELECT count(*) FROM blogs WHERE claimed_by = 'worker-1'")[0][0])
    assert left > 0, "worker-1 held no claims when killed"

    took_back = f"took back {left} claim(s) left by an earlier run of this worker"
    wait_until(lambda: took_back in stack.logs("worker", since), timeout=60, what="the new worker-1 to start")
    restarted = time.monotonic() - killed
    wait_until(lambda: len(fetched(stack, blog_ids)) == BLOGS, timeout=LEASE / 2, what="every blog fetched")
    completed = time.monotonic() - killed
    print(
        f"[swarm] worker-1 SIGKILLed holding {left} claims: swarm's next worker-1 took them back "
        f"{restarted:.1f} s later; every blog fetched {completed:.1f} s after the kill (lease {LEASE:.0f} s)"
    )
    assert victim not in stack.containers("worker")
    assert stack.container_of("worker", "worker-1")
    assert_every_blog_fetched_whole(stack, blog_ids)


def test_a_killed_database_gives_json_503s_then_recovers_without_restarting_web(
    stack: SwarmStack, token: str
) -> None:
    apps = {short: sorted(stack.containers(short)) for short in ("web", "worker", "proxy")}
    (database,) = stack.containers("db")
    load = Load(stack.url(""), token, feed_url=OUTSIDE_FEED, timeout=REQUEST_BOUND + 3).start()
    try:
        time.sleep(2)
        killed = time.monotonic()
        docker("kill", "--signal", "KILL", database)
        with stack.http() as http:
            wait_until(
                lambda: http.get("/readyz").status_code == 503, timeout=15, what="/readyz 503", every=0.1
            )
            # Swarm starts a new database task by itself (its restart policy), on the same volume.
            wait_until(lambda: http.get("/readyz").status_code == 200, timeout=90, what="recovery", every=0.2)
        recovered = time.monotonic()
        time.sleep(3)
    finally:
        outcomes = load.stop()

    during = [o for o in outcomes if killed <= o.started <= recovered]
    print(
        f"[swarm] db SIGKILLed: answering again {recovered - killed:.1f} s later; "
        f"{len(outcomes)} requests: {dict(sorted(summarize(outcomes).items()))}; "
        f"during the outage: {dict(summarize(during))}"
    )
    assert stack.containers("db") != [database], "swarm did not replace the killed database task"
    assert_only_json_503s(outcomes, REQUEST_BOUND)
    assert any(o.status == 503 and o.kind == "read" for o in during), summarize(during)
    after = [o for o in outcomes if o.started > recovered]
    assert after and all(o.status is not None and o.status < 300 for o in after), summarize(after)
    with stack.http() as http:
        assert_acknowledged_writes_present(http, outcomes)
    assert {short: sorted(stack.containers(short)) for short in apps} == apps, "an app task was restarted"
