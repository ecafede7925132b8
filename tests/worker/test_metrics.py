"""The worker's Prometheus counters: fetches by outcome, their latency, and new entries stored."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.helpers.feed_server import FeedServer, Reply

from .feeds import rss
from .harness import Harness


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_pass_counts_each_outcome_new_entries_and_latency(
    harness: Harness, feed_server: FeedServer
) -> None:
    stored_before = sample("blogroll_feed_fetches_total", outcome="stored")
    failed_before = sample("blogroll_feed_fetches_total", outcome="failed")
    entries_before = sample("blogroll_entries_stored_total")
    timed_before = sample("blogroll_feed_fetch_duration_seconds_count")
    harness.add_blog(feed_server.route("/good.xml", Reply(body=rss(("a", "One"), ("b", "Two")))))
    harness.add_blog(feed_server.route("/gone.xml", Reply(status=410)))

    report = harness.fetch()

    assert report.count("stored") == 1 and report.count("failed") == 1
    assert sample("blogroll_feed_fetches_total", outcome="stored") - stored_before == 1
    assert sample("blogroll_feed_fetches_total", outcome="failed") - failed_before == 1
    assert sample("blogroll_entries_stored_total") - entries_before == 2
    assert sample("blogroll_feed_fetch_duration_seconds_count") - timed_before == 2
