"""The feed worker's Prometheus metrics. In `blogroll run` the web app's `/metrics` shows them (one
process); a separate `blogroll worker` serves them itself on BLOGROLL_WORKER_METRICS_PORT."""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

# Seconds: a fixture feed on loopback to a slow server near the fetch timeout.
FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0)

FETCHES = Counter("blogroll_feed_fetches", "Feed fetches finished, by outcome.", ["outcome"])
FETCH_LATENCY = Histogram(
    "blogroll_feed_fetch_duration_seconds", "Time to fetch and parse one feed.", buckets=FETCH_BUCKETS
)
ENTRIES_STORED = Counter("blogroll_entries_stored", "New entries the worker stored.")
ICON_CHECKS = Counter(
    "blogroll_icon_checks",
    "Blog icon checks finished: found, none usable, or the site unreachable.",
    ["outcome"],
)


def fetch_finished(outcome: str, *, new_entries: int = 0) -> None:
    FETCHES.labels(outcome).inc()
    if new_entries:
        ENTRIES_STORED.inc(new_entries)


def icon_checked(outcome: str) -> None:
    ICON_CHECKS.labels(outcome).inc()


def serve(host: str, port: int) -> None:
    """Serves `/metrics` on a thread of its own (prometheus_client's small HTTP server)."""
    start_http_server(port, addr=host)
