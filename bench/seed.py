"""Fills a Blogroll database with a realistic, reproducible data set for the benchmarks.

    python bench/seed.py --database-url sqlite:////tmp/bench/blogroll.db   # 200 blogs, 20,000 entries
    python bench/seed.py --database-url sqlite:////tmp/bench/10x.db --scale 10  # 2,000 / 200,000
    python bench/seed.py --database-url postgresql+psycopg://... --blogs 1000 --entries 0 \
        --feed-base http://127.0.0.1:9000/feeds                                      # the worker benchmark

The schema comes from the real migrations; rows go in through SQLAlchemy Core bulk inserts on the
models' tables (so the type decorators, e.g. UTC datetimes, apply), in batches, in one transaction.
The same seed gives the same data on every engine: figures are comparable between runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import sys
import time
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import make_url

from blogroll.config import load_settings
from blogroll.storage.db import Database, make_engine
from blogroll.storage.migrate import upgrade
from blogroll.storage.models import ApiToken, Blog, BlogTag, Entry

BATCH = 1000
# The benchmark data set ("1x"); bench/growth.py seeds multiples of it.
BLOGS = 200
ENTRIES = 20_000

TAGS = [
    "python", "rust", "go", "web", "databases", "devops", "security", "linux", "design", "ux",
    "science", "math", "music", "photography", "travel", "cooking", "books", "history", "open-source",
    "hardware", "networking", "ai", "career", "writing", "gaming",
]  # fmt: skip

WORDS = (
    "the a of to and in is for on with that this as it by from at are be or an we our how why what "
    "when your you can will not more new about into using over after before between through without "
    "server database query index cache latency throughput request response thread process worker "
    "queue python rust compiler runtime memory allocator garbage collector benchmark profile flame "
    "graph kernel scheduler socket buffer network packet proxy nginx postgres sqlite migration schema "
    "table column transaction lock deadlock replica backup restore deploy container image layer "
    "volume feed atom rss blog post entry title summary author link tag archive release changelog "
    "version design pattern interface module package library framework test fixture assertion "
    "coverage garden bread coffee mountain river city train bicycle winter summer autumn spring "
    "morning night notes thoughts lessons mistakes ideas weekly monthly yearly review story guide "
    "tutorial deep dive"
).split()

FIRST = (
    "Ada Alan Grace Linus Guido Barbara Ken Dennis Margaret Edsger Donald Frances Leslie Radia Tim"
).split()
LAST = (
    "Lovelace Turing Hopper Torvalds Rossum Liskov Thompson Ritchie Hamilton Dijkstra Knuth Allen"
).split()


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize()


def title(rng: random.Random) -> str:
    text = sentence(rng, 4, 11)
    return text + rng.choice(["", "", "", "?", ": a deep dive", " (part 2)", " in 2026"])


def summary_html(rng: random.Random) -> str:
    """A sanitized-HTML summary of about 0.5 to 4 KB, as feeds send them: paragraphs, a link, a list."""
    target = rng.randint(500, 4000)
    parts: list[str] = []
    size = 0
    while size < target:
        kind = rng.random()
        if kind < 0.7:
            block = "<p>" + ". ".join(sentence(rng, 8, 20) for _ in range(rng.randint(2, 5))) + ".</p>"
        elif kind < 0.85:
            href = f"https://example.org/{rng.choice(WORDS)}/{rng.randint(1, 9999)}"
            block = f'<p>See <a href="{href}">{sentence(rng, 2, 5).lower()}</a> for more.</p>'
        else:
            items = "".join(f"<li>{sentence(rng, 3, 8)}</li>" for _ in range(rng.randint(2, 5)))
            block = f"<ul>{items}</ul>"
        parts.append(block)
        size += len(block)
    return "\n".join(parts)


def blog_rows(
    rng: random.Random, count: int, feed_base: str | None, due: dt.datetime
) -> list[dict[str, Any]]:
    now = dt.datetime.now(dt.UTC)
    rows = []
    for number in range(1, count + 1):
        host = f"blog{number}.example.org"
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}'s {rng.choice(['notes', 'blog', 'log', 'journal'])}"
        rows.append(
            {
                "id": number,
                "name": f"{name} #{number}",
                "site_url": f"https://{host}/",
                "feed_url": f"{feed_base}/{number}.xml" if feed_base else f"https://{host}/feed.xml",
                "description": sentence(rng, 6, 16) + ".",
                "created_at": now - dt.timedelta(days=rng.randint(30, 900)),
                "updated_at": now - dt.timedelta(days=rng.randint(0, 29)),
                "enabled": True,
                "consecutive_errors": 0,
                "next_fetch_at": due,
            }
        )
    return rows


def tag_rows(rng: random.Random, blogs: int) -> list[dict[str, Any]]:
    return [
        {"blog_id": blog_id, "tag": tag}
        for blog_id in range(1, blogs + 1)
        for tag in rng.sample(TAGS, rng.randint(1, 4))
    ]


def entry_rows(rng: random.Random, blogs: int, count: int, start_id: int) -> list[dict[str, Any]]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rows = []
    for offset in range(count):
        blog_id = rng.randint(1, blogs)
        published = now - dt.timedelta(seconds=rng.randint(0, 2 * 365 * 86400))
        link = f"https://blog{blog_id}.example.org/{published:%Y/%m}/{start_id + offset}-post/"
        rows.append(
            {
                "id": start_id + offset,
                "blog_id": blog_id,
                "guid": link,
                "guid_hash": hashlib.sha256(link.encode()).hexdigest(),
                "title": title(rng),
                "link": link,
                "author": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "summary": summary_html(rng),
                "published_at": published,
                "fetched_at": published + dt.timedelta(minutes=rng.randint(1, 120)),
            }
        )
    return rows


def seed(
    database_url: str | None,
    *,
    blogs: int,
    entries: int,
    seed_value: int,
    feed_base: str | None,
    due_now: bool,
) -> dict[str, float]:
    """Replaces every row; without `database_url`, Blogroll's own settings say where (DATABASE_URL and
    its password file, as inside the compose stack's containers)."""
    settings = load_settings(DATABASE_URL=database_url) if database_url else load_settings()
    database = Database(make_engine(settings))
    engine = database.engine
    started = time.perf_counter()
    upgrade(engine)
    rng = random.Random(seed_value)
    # Far in the future unless asked: the embedded worker must not try to fetch example.org mid-run.
    due = dt.datetime.now(dt.UTC) + (dt.timedelta(0) if due_now else dt.timedelta(days=365))
    with database.transaction() as session:
        for model in (Entry, BlogTag, Blog, ApiToken):
            session.execute(delete(model))
        session.execute(insert(Blog), blog_rows(rng, blogs, feed_base, due))
        session.execute(insert(BlogTag), tag_rows(rng, blogs))
        for start in range(0, entries, BATCH):
            session.execute(insert(Entry), entry_rows(rng, blogs, min(BATCH, entries - start), start + 1))
    if engine.dialect.name == "postgresql":
        # Explicit ids were inserted; move the sequences past them, as real inserts would have.
        with engine.begin() as connection:
            for table in ("blogs", "entries"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - fixed names
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql" or engine.dialect.name == "sqlite":
            connection.exec_driver_sql("ANALYZE")
        counts: dict[str, Any] = {
            "blogs": connection.scalar(select(func.count()).select_from(Blog)),
            "entries": connection.scalar(select(func.count()).select_from(Entry)),
            "summary_bytes": connection.scalar(select(func.sum(func.length(Entry.summary)))) or 0,
        }
    engine.dispose()
    return {**counts, "seconds": round(time.perf_counter() - started, 2)}


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="default: Blogroll's settings ($DATABASE_URL, ...)",
    )
    parser.add_argument("--blogs", type=int, default=BLOGS)
    parser.add_argument("--entries", type=int, default=ENTRIES)
    parser.add_argument(
        "--scale",
        type=positive_int,
        default=1,
        help="multiplies --blogs and --entries (the growth benchmark: 10 is 2,000 blogs, 200,000 entries)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--feed-base", help="feed URLs become FEED_BASE/<n>.xml (worker benchmark)")
    parser.add_argument("--due-now", action="store_true", help="blogs are due for a fetch at once")
    args = parser.parse_args(argv)
    result = seed(
        args.database_url,
        blogs=args.blogs * args.scale,
        entries=args.entries * args.scale,
        seed_value=args.seed,
        feed_base=args.feed_base,
        due_now=args.due_now,
    )
    where = (
        make_url(args.database_url).render_as_string(hide_password=True)
        if args.database_url
        else "DATABASE_URL"
    )
    print(
        f"seeded {where}: {result['blogs']} blogs, {result['entries']} entries "
        f"({result['summary_bytes'] / 1e6:.1f} MB of summaries) in {result['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
