"""One timed pass of feed fetching over every blog in DATABASE_URL; prints one JSON line.

    python bench/worker_pass.py worker    # Blogroll's worker: `blogroll fetch` (all blogs due), in-process
    python bench/worker_pass.py naive     # the baseline: one feed at a time, fetch, parse, store
    python bench/worker_pass.py due       # only make every blog due (before several `worker --due`)
    python bench/worker_pass.py worker --due  # a pass over the blogs already due: one of several
                                               # worker processes sharing the pass

The naive baseline is what a first version would do: no conditional request, no concurrency, one
ORM query per entry to skip known ones, one commit per feed. Only the pass itself is timed (not the
interpreter's start-up or imports), the same way for both.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from sqlalchemy import select

from blogroll.config import load_settings
from blogroll.storage.db import Database, make_engine


def make_due(database: Database) -> None:
    from blogroll.worker.claim import make_all_due

    with database.transaction() as session:
        make_all_due(session)


def worker_pass(database: Database, *, already_due: bool = False) -> dict[str, object]:
    from blogroll.worker.runner import Runner

    settings = load_settings()
    if not already_due:
        make_due(database)
    runner = Runner(settings, database)
    # A long-running worker starts its parse processes once; the pass times parsing, not that.
    runner.parser.start()
    started_at = time.time()
    started = time.perf_counter()
    try:
        report = runner.run_pass()
        seconds = time.perf_counter() - started
        # Peak memory, read before the parse processes stop: the worker's and theirs.
        parse_pids = runner.parser.pids()
        parse_mb = [peak_rss_mb(pid) for pid in parse_pids]
    finally:
        runner.close()
    kinds = {kind: report.count(kind) for kind in ("stored", "not_modified", "failed", "abandoned", "lost")}
    return {
        "seconds": seconds,
        "started_at": started_at,
        "ended_at": started_at + seconds,
        "feeds": len(report.outcomes),
        "new_entries": report.new,
        "outcomes": kinds,
        "summary": report.summary(),
        "concurrency": settings.fetch_concurrency,
        "per_host": settings.fetch_per_host,
        "parse_processes": runner.parser.processes,
        "rss_mb": peak_rss_mb(os.getpid()),
        "parse_rss_mb": parse_mb,
    }


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM), in MB; 0 where /proc does not tell."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def naive_pass(database: Database) -> dict[str, object]:
    import datetime as dt

    import feedparser
    import httpx

    from blogroll.storage.entries import guid_hash
    from blogroll.storage.models import Blog, Entry

    with database.transaction() as session:
        feeds = session.execute(select(Blog.id, Blog.feed_url).order_by(Blog.id)).all()
    new = failed = 0
    started = time.perf_counter()
    with httpx.Client(timeout=20) as client:
        for blog_id, feed_url in feeds:
            try:
                answer = client.get(feed_url)
                answer.raise_for_status()
            except httpx.HTTPError:
                failed += 1
                continue
            parsed = feedparser.parse(answer.content)
            with database.transaction() as session:
                for item in parsed.entries:
                    guid = item.get("id") or item.get("link") or item.get("title", "")
                    hashed = guid_hash(guid)
                    known = session.scalars(
                        select(Entry.id).where(Entry.blog_id == blog_id, Entry.guid_hash == hashed)
                    ).first()
                    if known is not None:
                        continue
                    stamp = item.get("published_parsed") or item.get("updated_parsed")
                    published = dt.datetime(*stamp[:6], tzinfo=dt.UTC) if stamp else dt.datetime.now(dt.UTC)  # type: ignore[misc]
                    session.add(
                        Entry(
                            blog_id=blog_id,
                            guid=guid,
                            guid_hash=hashed,
                            title=item.get("title", ""),
                            link=item.get("link"),
                            author=item.get("author", ""),
                            summary=item.get("summary", ""),
                            published_at=published,
                        )
                    )
                    new += 1
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "feeds": len(feeds), "new_entries": new, "failed": failed}


def main() -> int:
    mode = sys.argv[1]
    database = Database(make_engine(load_settings()))
    if mode == "due":
        make_due(database)
        return 0
    if mode == "worker":
        result = worker_pass(database, already_due="--due" in sys.argv[2:])
    else:
        result = naive_pass(database)
    database.engine.dispose()
    result["feeds_per_s"] = result["feeds"] / result["seconds"] if result["seconds"] else 0.0  # type: ignore[operator]
    print("BENCH_JSON " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
