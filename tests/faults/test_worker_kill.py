"""The worker killed with SIGKILL in the middle of a pass over many slow feeds.

Every blog's entries are stored in one transaction with its fetch state, so a kill leaves each blog
with all of its entries or none; the restarted worker (same name) takes its leftover claims back, or
they expire by lease, and it completes every blog without duplicating an entry.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.helpers.blog_api import add_blogs, all_items
from tests.helpers.compose_stack import FIXTURE_TITLES, Stack
from tests.helpers.waiting import wait_until

from .fault_stacks import FAULTS_DIR, database_of, fault_stack, record_figure

pytestmark = pytest.mark.faults

BLOGS = 24
SLOW_FEED = "http://feeds:8080/slow/planet.xml"


@pytest.fixture(scope="module")
def stack(database: str) -> Iterator[Stack]:
    with fault_stack(f"worker-{database}", database, FAULTS_DIR / "compose.faults.yaml") as stack:
        yield stack


def entries_by_blog(stack: Stack) -> dict[int, list[str]]:
    by_blog: dict[int, list[str]] = {}
    for entry in all_items(stack.http, "/api/v1/entries"):
        by_blog.setdefault(entry["blog_id"], []).append(entry["guid"])
    return by_blog


def assert_whole_and_unique(by_blog: dict[int, list[str]]) -> None:
    for blog_id, guids in by_blog.items():
        duplicated = [guid for guid, count in Counter(guids).items() if count > 1]
        assert not duplicated, f"blog {blog_id} has duplicate entries: {duplicated}"
        assert len(guids) == len(FIXTURE_TITLES), f"blog {blog_id} has a partial set of entries: {guids}"


def test_a_worker_killed_mid_pass_leaves_no_partial_or_duplicate_entries(stack: Stack) -> None:
    token = stack.create_token("worker")
    # Stopped while the blogs are added, so they all fall due in the same pass.
    stack.compose("stop", "worker")
    blog_ids = [blog["id"] for blog in add_blogs(stack.http, token, BLOGS, prefix="slow", feed_url=SLOW_FEED)]

    stack.compose("start", "worker")
    started = time.monotonic()
    # Killed once the first blogs are stored and others are still being fetched.
    wait_until(lambda: entries_by_blog(stack), timeout=60, what="the worker to store a first blog", every=0.2)
    stack.compose("kill", "--signal", "SIGKILL", "worker")
    killed = time.monotonic()
    at_kill = entries_by_blog(stack)
    assert 0 < len(at_kill) < BLOGS, f"the kill was not mid-pass: {len(at_kill)} of {BLOGS} blogs stored"
    assert_whole_and_unique(at_kill)

    stack.compose("start", "worker")
    restarted = time.monotonic()
    wait_until(
        lambda: len(entries_by_blog(stack)) == BLOGS,
        timeout=180,
        what="the restarted worker to complete every blog",
        every=1,
    )
    completed = time.monotonic()
    after = entries_by_blog(stack)
    assert sorted(after) == sorted(blog_ids)
    assert_whole_and_unique(after)
    blogs = all_items(stack.http, "/api/v1/blogs")
    failing = [
        blog["fetch"] for blog in blogs if blog["fetch"]["last_error"] or blog["fetch"]["last_status"] != 200
    ]
    assert not failing, failing
    record_figure(
        f"{database_of(stack)}: worker SIGKILLed {killed - started:.1f} s into a pass with "
        f"{len(at_kill)} of {BLOGS} blogs stored; "
        f"after `start worker` every blog was complete in {completed - restarted:.1f} s (its leftover "
        f"claims taken back, or expired by lease); {sum(map(len, after.values()))} entries, none partial "
        "or duplicated"
    )
