"""Prometheus metrics at `/metrics`: requests, latency, database connections, blogs due and paused,
and (when the worker runs in this process) the feed worker's own, from `blogroll.worker.metrics`.

The proxy never serves `/metrics` (see deploy/nginx/blogroll.conf); Prometheus scrapes the app inside
the stack's network. Under `blogroll serve` several gunicorn processes answer in turn, so their
counts are kept in files (prometheus_client's multiprocess mode, `PROMETHEUS_MULTIPROC_DIR`, set by
`serve` before anything imports prometheus_client) and summed at each scrape.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event, false, func, select, true

from blogroll.storage.db import get_database, get_session
from blogroll.storage.models import Blog, utcnow

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Seconds: from a 304 (about a millisecond) to a slow page on a big blogroll.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

HTTP_REQUESTS = Counter(
    "blogroll_http_requests",
    "HTTP requests answered, by method, route and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "blogroll_http_request_duration_seconds",
    "Time to build each answer, by method and route.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
DB_CONNECTIONS_IN_USE = Gauge(
    "blogroll_db_connections_in_use",
    "Database connections checked out of the pools.",
    multiprocess_mode="livesum",
)
MICRO_CACHE_ANSWERS = Counter(
    "blogroll_micro_cache_answers",
    "Reads seen by the in-process micro-cache, by what it did (X-Cache-Status: HIT, MISS, ...).",
    ["status"],
)
MICRO_CACHE_BYTES = Gauge(
    "blogroll_micro_cache_bytes", "Memory the micro-cache's copies take.", multiprocess_mode="livesum"
)
MICRO_CACHE_ENTRIES = Gauge(
    "blogroll_micro_cache_entries", "Copies the micro-cache holds.", multiprocess_mode="livesum"
)
bp = Blueprint("metrics", __name__)


def init_app(app: Flask) -> None:
    """Counts every answer, and serves `/metrics`."""

    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        # The route's pattern, never the path: one series per route, whatever clients ask for.
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            HTTP_LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
        return response

    count_connections(get_database(app).engine)
    app.register_blueprint(bp)


def count_connections(engine: Engine) -> None:
    """Keeps `blogroll_db_connections_in_use` up to date from the pool's own events."""
    event.listen(engine, "checkout", lambda *_args: DB_CONNECTIONS_IN_USE.inc())
    event.listen(engine, "checkin", lambda *_args: DB_CONNECTIONS_IN_USE.dec())


class BlogCounts(Collector):
    """Blogs due for a fetch and blogs paused, counted in the database at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        session = get_session()
        due = session.scalar(
            select(func.count())
            .select_from(Blog)
            .where(Blog.enabled == true(), Blog.next_fetch_at <= utcnow())
        )
        paused = session.scalar(select(func.count()).select_from(Blog).where(Blog.enabled == false()))
        blogs = GaugeMetricFamily("blogroll_blogs", "Blogs in the roll, by fetch state.", labels=["state"])
        blogs.add_metric(["due"], float(due or 0))
        blogs.add_metric(["paused"], float(paused or 0))
        yield blogs


def count_micro_cache(status: str) -> None:
    """The micro-cache's `count` callback (src/blogroll/server.py)."""
    MICRO_CACHE_ANSWERS.labels(status).inc()


def watch_micro_cache(cache: Any) -> None:
    """The micro-cache's size, read at each scrape (one process's; not kept in multiprocess files)."""
    if not os.environ.get(MULTIPROCESS_DIR):
        MICRO_CACHE_BYTES.set_function(lambda: cache.bytes)
        MICRO_CACHE_ENTRIES.set_function(lambda: len(cache))


@bp.get("/metrics")
def metrics() -> Response:
    counted_now = CollectorRegistry()
    counted_now.register(BlogCounts())
    body = generate_latest(process_registry()) + generate_latest(counted_now)
    return Response(body, mimetype=CONTENT_TYPE_LATEST.split(";")[0])


def process_registry() -> CollectorRegistry:
    """This process's metrics, or every server process's when they keep them in files."""
    if not os.environ.get(MULTIPROCESS_DIR):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def process_exited(_server: Any, worker: Any) -> None:
    """gunicorn's `child_exit` hook: a dead process's live gauges stop counting."""
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
