"""Cost as the blogroll grows (issue 13): each page, API answer and worker step at 1x, 10x (100x).

    bench/run --growth --targets none                          # 1x and 10x
    bench/run --growth --growth-scales 1,10,100 --targets none # also 20,000 blogs / 2,000,000 entries

1x is the benchmark data set (bench/seed.py: 200 blogs, 20,000 entries); Nx seeds N times both, with
the same seed script, into a SQLite file of its own. Each figure is the median CPU time
(`time.process_time`) of one request through Flask's test client, in this process, after a warm-up:
no server, no network, no load generator, so the ratio between scales is the application's and the
database's own growth. The test client's own cost is in the figures (nothing is subtracted); the row
"hello world (test client)" measures it: a bare Flask app answered the same way.

The goal: every row, the worker's claim and store steps included, at most GOAL_RATIO times its 1x
figure; the OPML export is excepted (it holds every blog: linear by nature, cached by its ETag).
Seeding 100x takes 5-25 minutes here: `python -m bench.growth --work DIR --reuse` measures the
databases of a `bench/run --keep` again. Figures and findings: BENCHMARKS.md, "Session 10".
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine

from bench.seed import BLOGS, ENTRIES
from bench.seed import seed as seed_database
from blogroll import create_app
from blogroll.config import Settings
from blogroll.storage import db, users
from blogroll.storage.migrate import upgrade
from blogroll.worker.claim import claim_due, release
from blogroll.worker.fetch import FeedResponse
from blogroll.worker.parse import ParsedEntry
from blogroll.worker.runner import claims_in_hand, lease_for
from blogroll.worker.store import Fetched, store_results
from tests.admin.forms import PASSWORD, sign_in
from tests.helpers.settings import make_settings

RESULTS = Path(__file__).resolve().parent / "results"
GOAL_RATIO = 1.5
# Grows with the roll by design (every blog is in it); excepted from the goal, cached by its ETag.
LINEAR = {"/blogroll.opml"}
HELLO = "hello world (test client)"
TAG = "python"  # every scale has it: bench/seed.py gives each blog 1-4 of its 25 tags
BLOG_ID = 1  # every scale has it, with about 100 entries (entries / blogs is the same at each scale)
FEED_ENTRIES = 20
ADMIN_PATHS = [
    "/admin/",
    "/admin/?sort=name",
    "/admin/?sort=next",
    "/admin/?sort=newest",
    "/admin/?sort=entries",
]
ADMIN_PATHS += ["/admin/?page=2"]


def parse_scales(text: str) -> list[int]:
    """`1,10,100` -> [1, 10, 100]: whole numbers, 1 first (the ratios are to 1x), at least two."""
    try:
        scales = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"scales are whole numbers separated by commas, not {text!r}"
        ) from None
    if len(scales) < 2 or scales[0] != 1 or sorted(set(scales)) != scales:
        raise argparse.ArgumentTypeError(
            f"scales start at 1 and grow, at least two of them (e.g. 1,10), not {text!r}"
        )
    return scales


def cpu_ms(call: Callable[[], object], *, samples: int, warmup: int = 3, budget_s: float = 3.0) -> float:
    """The median CPU milliseconds of one `call`, over `samples` calls after `warmup` unrecorded ones
    (fewer, but at least 5, when they would take more than `budget_s` of CPU)."""
    for _ in range(warmup):
        call()
    times: list[float] = []
    spent = 0.0
    while len(times) < samples and (len(times) < 5 or spent < budget_s):
        started = time.process_time()
        call()
        took = time.process_time() - started
        times.append(took)
        spent += took
    return statistics.median(times) * 1000


def get_ok(client: FlaskClient, path: str) -> Callable[[], object]:
    """A request that must answer 200 each time: a figure for an error page would mean nothing."""

    def call() -> object:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.get_data(as_text=True)[:200]}")
        return response

    return call


def second_page(client: FlaskClient) -> str:
    """The home page's real "Older posts" link (entries page by a cursor, not a page number)."""
    match = re.search(r'<a rel="next" href="([^"]+)"', client.get("/").get_data(as_text=True))
    if match is None:
        raise RuntimeError("the home page has no link to older posts")
    return html.unescape(match.group(1))


def hello_client() -> FlaskClient:
    app = Flask("hello")

    @app.get("/")
    def hello() -> str:
        return "Hello, World!"

    return app.test_client()


def public_paths(client: FlaskClient) -> dict[str, str]:
    """Row name -> path of every anonymous page and API answer measured."""
    named = {"/": "/", "/?before=… (page 2)": second_page(client)}
    paths = ["/blogs/", "/blogs/?page=2", f"/blogs/?tag={TAG}", f"/blogs/{BLOG_ID}", f"/tags/{TAG}"]
    paths += [f"/tags/{TAG}.atom", "/feed.atom", "/feed.json", "/blogroll.opml"]
    paths += [
        "/api/v1/blogs",
        "/api/v1/blogs?limit=1",
        f"/api/v1/blogs?tag={TAG}",
        # A full page at every scale: the tag has fewer blogs than a page of 50 at 1x (about 20).
        f"/api/v1/blogs?tag={TAG}&limit=10",
        f"/api/v1/blogs/{BLOG_ID}",
    ]
    paths += ["/api/v1/entries", f"/api/v1/entries?tag={TAG}"]
    return named | {path: path for path in paths}


def parsed_feed(number: int, now: dt.datetime) -> list[ParsedEntry]:
    """A feed of FEED_ENTRIES entries; `number` and `now` (a run's own) make their guids new."""
    return [
        ParsedEntry(
            guid=f"https://growth.example.org/{now:%Y%m%dT%H%M%S.%f}/{number}/{index}",
            title=f"Post {index} of feed {number}",
            link=f"https://growth.example.org/{number}/{index}",
            author="Ada Lovelace",
            summary="<p>" + "A paragraph of a post that is about a kilobyte long. " * 20 + "</p>",
            published_at=now - dt.timedelta(hours=index),
        )
        for index in range(FEED_ENTRIES)
    ]


def worker_steps(database: db.Database, settings: Settings, samples: int) -> dict[str, float]:
    """The worker's claim of a batch (as many blogs as it holds) and its store of one feed: all new
    entries (a first fetch), and the same feed again (nothing changed: the steady state)."""
    lease, batch = lease_for(settings), claims_in_hand(settings)
    # The seed schedules every blog a year ahead (so nothing fetches mid-run): claim as if it were later.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)

    def claim_batch() -> None:
        claims = claim_due(database, limit=batch, lease=lease, owner="growth", due_by=later)
        if len(claims) != batch:
            raise RuntimeError(f"claimed {len(claims)} blogs, not {batch}")
        release(database, claims)

    def store_once(entries: list[ParsedEntry], new: int) -> float:
        """CPU ms of storing one fetched feed of `entries` on BLOG_ID (its claim is not timed)."""
        (claim,) = claim_due(database, limit=1, lease=lease, owner="growth", due_by=later, blog_ids=[BLOG_ID])
        fetched = Fetched(claim, FeedResponse(200, claim.feed_url, None, b"", None, None, None), entries)
        started = time.process_time()
        (outcome,) = store_results(database, [fetched], settings=settings)
        took = time.process_time() - started
        if outcome.kind != "stored" or outcome.new != new:
            raise RuntimeError(f"storing a feed: {outcome}")
        return took * 1000

    now = dt.datetime.now(dt.UTC)
    same = parsed_feed(0, now)
    store_once(same, FEED_ENTRIES)
    warmup = 3
    return {
        f"worker: claim {batch} blogs (+ release)": cpu_ms(claim_batch, samples=samples),
        f"worker: store {FEED_ENTRIES} new entries": statistics.median(
            [store_once(parsed_feed(number, now), FEED_ENTRIES) for number in range(1, 1 + warmup + samples)][
                warmup:
            ]
        ),
        f"worker: store {FEED_ENTRIES} unchanged entries": statistics.median(
            [store_once(same, 0) for _ in range(warmup + samples)][warmup:]
        ),
    }


@contextmanager
def blogroll_app(database_url: str, data_dir: Path) -> Iterator[tuple[Flask, Settings]]:
    """Blogroll on that database, the micro-cache off (it would answer every repeat from memory)."""
    settings = make_settings(database_url, data_dir=data_dir, micro_cache="off")
    app = create_app(settings)
    try:
        yield app, settings
    finally:
        db.get_database(app).engine.dispose()


def measure_scale(
    work: Path, scale: int, samples: int, log: Callable[[str], None], *, reuse: bool = False
) -> dict[str, Any]:
    """Seeds `scale` times the benchmark data set into a SQLite file of its own and measures it.
    With `reuse`, a database an earlier run left there (`bench/run --keep`) is measured again instead,
    upgraded to the current schema: for re-measuring 100x after a change without 25 minutes of seeding
    (it then also holds the few entries the earlier runs' store steps wrote)."""
    data = work / f"growth-{scale}x"
    data.mkdir(parents=True, exist_ok=True)
    database = data / "blogroll.db"
    url = f"sqlite:///{database}"
    if reuse and database.exists():
        engine = create_engine(url)
        upgrade(engine)
        engine.dispose()
        seeded: dict[str, Any] = {"reused": str(database)}
        log(f"growth {scale}x: reusing {database}")
    else:
        seeded = seed_database(
            url, blogs=BLOGS * scale, entries=ENTRIES * scale, seed_value=2026, feed_base=None, due_now=False
        )
        log(
            f"growth {scale}x: seeded {seeded['blogs']} blogs, {seeded['entries']} entries "
            f"in {seeded['seconds']} s"
        )
    figures: dict[str, float] = {HELLO: cpu_ms(get_ok(hello_client(), "/"), samples=samples)}
    with blogroll_app(url, data) as (app, settings):
        with db.get_database(app).transaction() as session:
            if users.get_user(session, "growth") is None:  # a reused database has it
                users.create_user(session, "growth", PASSWORD)
        client = app.test_client()
        for name, path in public_paths(client).items():
            figures[name] = cpu_ms(get_ok(client, path), samples=samples)
        browser = app.test_client()
        sign_in(browser, "growth")
        browser.get("/admin/")  # the first page after signing in also notes the session as seen (a write)
        for path in ADMIN_PATHS:
            figures[f"{path} (signed in)"] = cpu_ms(get_ok(browser, path), samples=samples)
        figures.update(worker_steps(db.get_database(app), settings, samples))
    log(f"growth {scale}x: measured {len(figures)} figures")
    return {"scale": scale, "seeded": seeded, "ms": {name: round(ms, 3) for name, ms in figures.items()}}


def verdict(name: str, ratios: list[float]) -> str:
    if name == HELLO:
        return "(overhead)"
    if name in LINEAR:
        return "linear (excepted)"
    return "PASS" if all(ratio <= GOAL_RATIO for ratio in ratios) else "FAIL"


def growth_rows(scales: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per figure: its ms at each scale, the ratio of each to the first scale's, a verdict."""
    base = scales[0]["ms"]
    rows = []
    for name, first in base.items():
        ms = {str(scale["scale"]): scale["ms"].get(name) for scale in scales}
        ratios = {
            str(scale["scale"]): round(scale["ms"][name] / first, 2) if first else None
            for scale in scales[1:]
            if name in scale["ms"]
        }
        known = [ratio for ratio in ratios.values() if ratio is not None]
        rows.append(
            {"name": name, "ms": ms, "ratio": ratios, "verdict": verdict(name, known) if known else "?"}
        )
    return rows


def growth_table(result: dict[str, Any]) -> str:
    """The rows as a markdown table, for the terminal and BENCHMARKS.md."""
    scales = [str(scale["scale"]) for scale in result["scales"]]
    head = [
        "endpoint",
        *(f"{s}x ms" for s in scales),
        *(f"{s}x / 1x" for s in scales[1:]),
        f"≤ {GOAL_RATIO}x",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in result["rows"]:
        cells = [f"`{row['name']}`" if row["name"].startswith("/") else row["name"]]
        cells += [f"{row['ms'][s]:.2f}" if row["ms"].get(s) is not None else "-" for s in scales]
        cells += [f"{row['ratio'][s]:.2f}" if row["ratio"].get(s) is not None else "-" for s in scales[1:]]
        cells.append(row["verdict"])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def growth_benchmark(
    work: Path,
    scales: list[int],
    *,
    samples: int = 30,
    log: Callable[[str], None] = print,
    reuse: bool = False,
) -> dict[str, Any]:
    measured: list[dict[str, Any]] = []
    notes: list[str] = []
    for scale in scales:
        try:
            measured.append(measure_scale(work, scale, samples, log, reuse=reuse))
        except Exception as error:  # e.g. the disk fills at 100x: keep the smaller scales' figures
            notes.append(f"{scale}x failed: {error!r}")
            log(notes[-1])
            break
        log(f"growth {scale}x: {json.dumps(measured[-1]['ms'])}")
    if len(measured) < 2:
        raise RuntimeError("; ".join(notes) or "nothing measured")
    return {
        "method": f"median process CPU ms of one request (Flask test client, in-process), {samples} samples "
        "after 3 warm-up requests; SQLite; nothing subtracted",
        "goal_ratio": GOAL_RATIO,
        "scales": measured,
        "rows": growth_rows(measured),
        "notes": notes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", type=Path, required=True, help="folder for the seeded databases")
    parser.add_argument("--scales", type=parse_scales, default=[1, 10])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument(
        "--reuse", action="store_true", help="measure the databases already in WORK (bench/run --keep)"
    )
    args = parser.parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    result = growth_benchmark(args.work, args.scales, samples=args.samples, reuse=args.reuse)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{started:%Y%m%dT%H%M%SZ}-growth.json"
    path.write_text(json.dumps({"started": started.isoformat(), "growth": result}, indent=2))
    print(growth_table(result))
    print(f"json:  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
