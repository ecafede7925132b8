"""The feed-worker benchmark: a fixture server of generated feeds, and three timed passes over them.

The fixture server (bench/feed_server.py) serves N generated Atom feeds (20 entries each) on
127.0.0.1, with ETag and Last-Modified, answering 304 to If-None-Match / If-Modified-Since as
well-run blogs do, and holding every answer back by a fixed latency (`--feed-latency-ms`, 100 ms by
default, then 0: a fetch from a real blog takes at least 100 ms; 0 measures CPU time alone).

Passes, each on its own freshly seeded database with the same blogs:
  naive        one feed at a time: fetch, parse, store (bench/worker_pass.py naive)
  first_pass   Blogroll's worker, every feed new to it (the default BLOGROLL_PARSE_PROCESSES)
  first_pass_parseN  the same with N parse processes (`--parse-processes`; 0: the fetch threads parse)
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

from blogroll.config import Settings

if TYPE_CHECKING:
    from bench.suite import Run

BENCH = Path(__file__).resolve().parent
ENTRIES_PER_FEED = 20
DEFAULT_CONCURRENCY = str(Settings.model_fields["fetch_concurrency"].default)


def write_feeds(folder: Path, count: int, entries: int = ENTRIES_PER_FEED, seed: int = 2026) -> int:
    """Writes feeds/<n>.xml for n in 1..count; returns the total bytes written."""
    from bench.seed import summary_html, title

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


def run_pass(
    mode: str, database_url: str, run: Run, *, processes: int = 1, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """One pass; with `processes` > 1, that many worker processes share it, as `docker compose up
    --scale worker=N` would: the pass lasts from the first one's start to the last one's end."""
    from bench.suite import base_env, log

    concurrency = os.environ.get("BLOGROLL_FETCH_CONCURRENCY", DEFAULT_CONCURRENCY)
    env = base_env(
        DATABASE_URL=database_url,
        BLOGROLL_ALLOW_PRIVATE_FEEDS="true",  # the fixture server is on loopback
        # Feed passes are what is measured (and compared with the naive baseline, which fetches no
        # icons); a blog's icon is looked for weekly, not at each pass.
        BLOGROLL_FETCH_ICONS="false",
        BLOGROLL_FETCH_CONCURRENCY=concurrency,
        # Every fixture feed is on one host (127.0.0.1): a real blogroll spreads over many hosts, so the
        # per-host limit is lifted to the concurrency, or it alone would set the pace.
        BLOGROLL_FETCH_PER_HOST=concurrency,
        BLOGROLL_LOG_LEVEL="WARNING",
        **(env or {}),
    )
    script = [sys.executable, str(BENCH / "worker_pass.py")]
    if mode == "naive":
        commands = [[*script, "naive"]]
    elif processes == 1:
        commands = [[*script, "worker"]]
    else:
        subprocess.run([*script, "due"], env=env, cwd=run.work, check=True, timeout=120)
        commands = [[*script, "worker", "--due"] for _ in range(processes)]
    children = [
        subprocess.Popen(
            command, env=env, cwd=run.work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for command in commands
    ]
    results = []
    for number, child in enumerate(children):
        stdout, stderr = child.communicate(timeout=600)
        (run.logs / f"worker-{mode}-{processes}-{number}.log").write_text(stdout + stderr)
        lines = [line for line in stdout.splitlines() if line.startswith("BENCH_JSON ")]
        if not lines:
            raise RuntimeError(f"worker pass {mode} gave no result: {stderr[-1500:]}")
        results.append(json.loads(lines[-1].removeprefix("BENCH_JSON ")))
    result = results[0] if len(results) == 1 else combined(results)
    result["processes"] = len(results)
    log(f"worker {mode:13} x{len(results)} {result['seconds']:7.2f} s  {result['feeds_per_s']:8.1f} feeds/s  "
        f"{result.get('summary', result.get('new_entries'))}")  # fmt: skip
    return result


def combined(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Several processes' shares of one pass, as one pass."""
    seconds = max(r["ended_at"] for r in results) - min(r["started_at"] for r in results)
    feeds = sum(r["feeds"] for r in results)
    outcomes = {kind: sum(r["outcomes"][kind] for r in results) for kind in results[0]["outcomes"]}
    new = sum(r["new_entries"] for r in results)
    return {
        "seconds": seconds,
        "feeds": feeds,
        "new_entries": new,
        "outcomes": outcomes,
        "feeds_per_s": feeds / seconds if seconds else 0.0,
        "summary": f"{feeds} feeds: {new} new entries, outcomes {outcomes}; "
        f"shares {[r['feeds'] for r in results]}",
        "concurrency": results[0]["concurrency"],
        "parse_processes": results[0].get("parse_processes", 0),
    }


def worker_benchmark(
    run: Run, *, feeds: int, latencies_ms: list[float], parse_processes: list[int] | None = None
) -> dict[str, Any]:
    """The three passes once per fixture latency: 0 ms shows the CPU cost of a feed, 100 ms what
    overlapping the waits gains; both go in the result, with the goals checked on each."""
    from bench.suite import log

    folder = run.work / "feeds"
    size = write_feeds(folder, feeds)
    log(f"wrote {feeds} fixture feeds ({size / 1e6:.1f} MB)")
    return {
        "feeds": feeds,
        "entries_per_feed": ENTRIES_PER_FEED,
        "fixture_bytes": size,
        "database": "postgresql" if run.args.postgres_url else "sqlite",
        "concurrency": int(os.environ.get("BLOGROLL_FETCH_CONCURRENCY", DEFAULT_CONCURRENCY)),
        "runs": [
            passes_at(run, folder, feeds, latency_ms, parse_processes or []) for latency_ms in latencies_ms
        ],
    }


def passes_at(
    run: Run, folder: Path, feeds: int, latency_ms: float, parse_processes: list[int]
) -> dict[str, Any]:
    from bench.suite import (
        GOAL_WORKER_304_FPS,
        GOAL_WORKER_SPEEDUP,
        base_env,
        create_database,
        drop_database,
        log,
        seed,
        wait_ready,
    )
    from tests.helpers.ports import free_port

    port = free_port()
    argv = [sys.executable, str(BENCH / "feed_server.py"), str(folder), str(port), str(latency_ms)]
    server = run.start("feeds", argv, base_env())
    feed_base = f"http://127.0.0.1:{port}"
    wait_ready(feed_base + "/healthz", server)
    log(f"fixture server: {latency_ms:g} ms latency")

    def fresh_database(name: str) -> str:
        if run.args.postgres_url:
            url = create_database(run.args.postgres_url, name)
        else:
            data = run.work / f"{name}-{latency_ms:g}"
            data.mkdir()
            url = f"sqlite:///{data / 'blogroll.db'}"
        seed(url, run.logs, "--blogs", str(feeds), "--entries", "0", "--feed-base", feed_base, "--due-now")
        return url

    result: dict[str, Any] = {"latency_ms": latency_ms}
    result["naive"] = run_pass("naive", fresh_database("blogroll_bench_naive"), run)
    worker_url = fresh_database("blogroll_bench_worker")
    result["first_pass"] = run_pass("first_pass", worker_url, run)
    result["not_modified_pass"] = run_pass("not_modified", worker_url, run)
    # The same first pass with other numbers of parse processes (0: the fetch threads parse, as
    # inside `blogroll run`), each on a fresh database.
    for count in parse_processes:
        result[f"first_pass_parse{count}"] = run_pass(
            f"first_parse{count}",
            fresh_database(f"blogroll_bench_parse{count}"),
            run,
            env={"BLOGROLL_PARSE_PROCESSES": str(count)},
        )
    # One worker is one Python process, so one core at most; a first pass is CPU-bound (parsing),
    # and workers scale out (`--scale worker=N`), so the same passes again with one per core.
    cores = os.cpu_count() or 1
    if cores > 1:
        scaled_url = fresh_database("blogroll_bench_scaled")
        result["first_pass_scaled"] = run_pass("first_pass", scaled_url, run, processes=cores)
        result["not_modified_pass_scaled"] = run_pass("not_modified", scaled_url, run, processes=cores)
    run.stop(server)
    if run.args.postgres_url and not run.args.keep:
        for name in ("naive", "worker", "scaled", *(f"parse{count}" for count in parse_processes)):
            drop_database(run.args.postgres_url, f"blogroll_bench_{name}")

    naive_fps = result["naive"]["feeds_per_s"]
    for count in parse_processes if naive_fps else []:
        speedup = result[f"first_pass_parse{count}"]["feeds_per_s"] / naive_fps
        result[f"speedup_first_parse{count}_vs_naive"] = round(speedup, 2)
    result["goals"] = []
    for suffix, who in (("", "1 worker"), ("_scaled", f"{cores} workers")):
        if f"first_pass{suffix}" not in result:
            continue
        first, not_modified = result[f"first_pass{suffix}"], result[f"not_modified_pass{suffix}"]
        speedup = first["feeds_per_s"] / naive_fps if naive_fps else 0
        result[f"speedup_first{suffix}_vs_naive"] = round(speedup, 2)
        fast_enough = "PASS" if speedup >= GOAL_WORKER_SPEEDUP else "FAIL"
        cheap_enough = "PASS" if not_modified["feeds_per_s"] >= GOAL_WORKER_304_FPS else "FAIL"
        result["goals"] += [
            f"{who}: first pass >= {GOAL_WORKER_SPEEDUP}x naive: {speedup:.1f}x {fast_enough} "
            f"({first.get('parse_processes', 0)} parse process(es) each)",
            f"{who}: all-304 pass >= {GOAL_WORKER_304_FPS} feeds/s: "
            f"{not_modified['feeds_per_s']:.0f} {cheap_enough}",
        ]
        if not_modified.get("outcomes", {}).get("not_modified", 0) != feeds:
            result["goals"].append(f"warning: {who}: the second pass was not all 304s; see the outcomes")
    return result
