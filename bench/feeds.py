"""The feed-worker benchmark: a fixture server of generated feeds, and three timed passes over them.

The fixture server is a private nginx on 127.0.0.1 serving N generated Atom feeds (20 entries each)
as static files: it answers as fast as anything on this machine can, and sends ETag and
Last-Modified and answers 304 to If-None-Match / If-Modified-Since, as well-run blogs do.

Passes, each on its own freshly seeded database with the same blogs:
  naive        one feed at a time: fetch, parse, store (bench/worker_pass.py naive)
  first_pass   Blogroll's worker, every feed new to it
  not_modified Blogroll's worker again, on the same database: every feed answers 304
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from suite import Run

BENCH = Path(__file__).resolve().parent
ENTRIES_PER_FEED = 20


def write_feeds(folder: Path, count: int, entries: int = ENTRIES_PER_FEED, seed: int = 2026) -> int:
    """Writes feeds/<n>.xml for n in 1..count; returns the total bytes written."""
    sys.path.insert(0, str(BENCH))
    from seed import summary_html, title

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    total = 0
    for number in range(1, count + 1):
        site = f"https://blog{number}.example.org/"
        items = []
        for index in range(entries):
            published = (now - dt.timedelta(hours=index * 37 + number)).isoformat().replace("+00:00", "Z")
            link = f"{site}posts/{index}/"
            items.append(
                f"<entry><id>{link}</id><title>{escape(title(rng))}</title>"
                f'<link rel="alternate" href="{link}"/><published>{published}</published>'
                f"<updated>{published}</updated><author><name>Author {number}</name></author>"
                f'<summary type="html">{escape(summary_html(rng)[:1500])}</summary></entry>'
            )
        body = (
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Blog {number}</title><id>{site}</id>"
            f'<link rel="alternate" href="{site}"/>'
            f"<updated>{now.isoformat().replace('+00:00', 'Z')}</updated>" + "".join(items) + "</feed>\n"
        ).encode()
        (folder / f"{number}.xml").write_bytes(body)
        total += len(body)
    return total


def run_pass(mode: str, database_url: str, run: Run) -> dict[str, Any]:
    from suite import base_env, log

    concurrency = os.environ.get("BLOGROLL_FETCH_CONCURRENCY", "8")
    env = base_env(
        DATABASE_URL=database_url,
        BLOGROLL_ALLOW_PRIVATE_FEEDS="true",  # the fixture server is on loopback
        BLOGROLL_FETCH_CONCURRENCY=concurrency,
        # Every fixture feed is on one host (127.0.0.1): a real blogroll spreads over many hosts, so the
        # per-host limit is lifted to the concurrency, or it alone would set the pace.
        BLOGROLL_FETCH_PER_HOST=concurrency,
        BLOGROLL_LOG_LEVEL="WARNING",
    )
    done = subprocess.run(
        [sys.executable, str(BENCH / "worker_pass.py"), "worker" if mode != "naive" else "naive"],
        env=env, cwd=run.work, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    (run.logs / f"worker-{mode}.log").write_text(done.stdout + done.stderr)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
            log(f"worker {mode:13} {result['seconds']:7.2f} s  {result['feeds_per_s']:8.1f} feeds/s  "
                f"{result.get('summary', result.get('new_entries'))}")  # fmt: skip
            return result
    raise RuntimeError(f"worker pass {mode} gave no result: {done.stderr[-1500:]}")


def worker_benchmark(run: Run, *, feeds: int) -> dict[str, Any]:
    from suite import create_database, drop_database, log, seed, wait_ready

    html = run.work / "feeds" / "html"
    size = write_feeds(html / "feeds", feeds)
    log(f"wrote {feeds} fixture feeds ({size / 1e6:.1f} MB)")
    server, base = run.nginx("feeds")
    # nginx() put a static.html in its own html folder; the feeds are beside it.
    wait_ready(base + "/feeds/1.xml", server)
    feed_base = base + "/feeds"

    def fresh_database(name: str) -> str:
        if run.args.postgres_url:
            url = create_database(run.args.postgres_url, name)
        else:
            folder = run.work / name
            folder.mkdir()
            url = f"sqlite:///{folder / 'blogroll.db'}"
        seed(url, run.logs, "--blogs", str(feeds), "--entries", "0", "--feed-base", feed_base, "--due-now")
        return url

    result: dict[str, Any] = {
        "feeds": feeds,
        "entries_per_feed": ENTRIES_PER_FEED,
        "fixture_bytes": size,
        "database": "postgresql" if run.args.postgres_url else "sqlite",
    }
    naive_url = fresh_database("blogroll_bench_naive")
    result["naive"] = run_pass("naive", naive_url, run)
    worker_url = fresh_database("blogroll_bench_worker")
    result["first_pass"] = run_pass("first_pass", worker_url, run)
    result["not_modified_pass"] = run_pass("not_modified", worker_url, run)
    run.stop(server)
    if run.args.postgres_url and not run.args.keep:
        drop_database(run.args.postgres_url, "blogroll_bench_naive")
        drop_database(run.args.postgres_url, "blogroll_bench_worker")

    naive_fps = result["naive"]["feeds_per_s"]
    first_fps = result["first_pass"]["feeds_per_s"]
    nm_fps = result["not_modified_pass"]["feeds_per_s"]
    speedup = first_fps / naive_fps if naive_fps else 0
    result["speedup_first_vs_naive"] = round(speedup, 2)
    from suite import GOAL_WORKER_304_FPS, GOAL_WORKER_SPEEDUP

    fast_enough = "PASS" if speedup >= GOAL_WORKER_SPEEDUP else "FAIL"
    cheap_enough = "PASS" if nm_fps >= GOAL_WORKER_304_FPS else "FAIL"
    result["goals"] = [
        f"first pass >= {GOAL_WORKER_SPEEDUP}x naive: {speedup:.1f}x {fast_enough}",
        f"all-304 pass >= {GOAL_WORKER_304_FPS} feeds/s: {nm_fps:.0f} {cheap_enough}",
    ]
    if result["not_modified_pass"].get("outcomes", {}).get("not_modified", 0) != feeds:
        result["goals"].append("warning: the second pass was not all 304s; see the outcomes")
    return result
