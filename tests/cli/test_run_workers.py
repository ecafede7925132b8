"""`blogroll run` with several web processes: the feed worker in exactly one of them, taken over by
another when that process dies, and `/metrics` counting for all of them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers.feed_server import FeedServer, Reply
from tests.helpers.ports import free_port
from tests.helpers.processes import BLOGROLL, Processes, server_env
from tests.helpers.waiting import wait_until, wait_until_healthy
from tests.test_metrics import value
from tests.worker.feeds import rss

HOLDER = re.compile(r"feed worker runs in web process (\d+)")


def start_run(
    tmp_path: Path, processes: Processes, *args: str, feeds: list[str] | None = None, **env_extra: str
) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    """`blogroll run ARGS` on a fresh SQLite file holding a blog for each of `feeds`, logging at INFO."""
    port = free_port()
    env = server_env(tmp_path, BLOGROLL_PORT=str(port), BLOGROLL_LOG_LEVEL="INFO", **env_extra)
    cli(env, "db", "upgrade")
    if feeds:
        outlines = "".join(
            f'<outline type="rss" text="Blog {number}" xmlUrl="{url}"/>' for number, url in enumerate(feeds)
        )
        opml = tmp_path / "roll.opml"
        opml.write_text(f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>')
        cli(env, "blogs", "import", str(opml))
    process = processes.start("run", *args, env=env)
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(base, process, lambda: processes.output(process))
    return process, base, env


def cli(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([BLOGROLL, *args], env=env, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def web_processes(server: subprocess.Popen[bytes]) -> set[int]:
    """The pids of gunicorn's web processes: the server's children."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return {int(pid) for pid in children}


def holders(output: str) -> list[int]:
    """The web processes that said they run the feed worker, in order."""
    return [int(pid) for pid in HOLDER.findall(output)]


def test_two_processes_fetch_each_feed_once_with_one_feed_worker(
    tmp_path: Path, processes: Processes, feed_server: FeedServer
) -> None:
    feeds = [
        feed_server.route(f"/feed-{n}.xml", Reply(body=rss((f"post-{n}", f"Post {n}")))) for n in range(8)
    ]
    server, base, _env = start_run(tmp_path, processes, "--workers", "2", feeds=feeds)
    assert len(web_processes(server)) == 2

    def every_feed_fetched() -> bool:
        return all(feed_server.hits[f"/feed-{n}.xml"] for n in range(8))

    wait_until(every_feed_fetched, timeout=30, every=0.1, what="a fetch of every feed")
    entries = httpx.get(f"{base}/api/v1/entries", timeout=5, trust_env=False).json()["items"]
    assert sorted(item["title"] for item in entries) == sorted(f"Post {n}" for n in range(8))
    # A second feed worker would poll every 0.2 s (BLOGROLL_FETCH_POLL_INTERVAL) and take back claims.
    time.sleep(2)
    output = processes.output(server)
    assert len(holders(output)) == 1, output
    assert holders(output)[0] in web_processes(server)
    assert {feed_server.hits[f"/feed-{n}.xml"] for n in range(8)} == {1}


def test_another_process_takes_the_feed_worker_over_when_its_process_dies(
    tmp_path: Path, processes: Processes, feed_server: FeedServer
) -> None:
    first = feed_server.route("/first.xml", Reply(body=rss(("a", "Before the crash"))))
    server, base, env = start_run(tmp_path, processes, feeds=[first], BLOGROLL_RUN_WORKERS="2")
    assert wait_until(lambda: feed_server.hits["/first.xml"], timeout=30, every=0.1, what="the first fetch")
    [holder] = holders(processes.output(server))

    os.kill(holder, signal.SIGKILL)

    new_holder = wait_until(
        lambda: holders(processes.output(server))[1:], timeout=30, every=0.1, what="a new feed worker"
    )[0]
    assert new_holder != holder
    wait_until(lambda: len(web_processes(server)) == 2, timeout=30, every=0.1, what="a replacement process")
    assert new_holder in web_processes(server)
    # The new holder fetches: a blog added now gets its entries.
    second = feed_server.route("/second.xml", Reply(body=rss(("b", "After the crash"))))
    cli(env, "blogs", "add", "Second", second)

    def titles() -> set[str]:
        entries = httpx.get(f"{base}/api/v1/entries", timeout=5, trust_env=False).json()["items"]
        return {item["title"] for item in entries}

    wait_until(lambda: "After the crash" in titles(), timeout=30, every=0.2, what="the new blog's entry")
    assert feed_server.hits["/second.xml"] == 1
    assert len(holders(processes.output(server))) == 2

    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0


def test_metrics_count_for_every_process(
    tmp_path: Path, processes: Processes, feed_server: FeedServer
) -> None:
    feed = feed_server.route("/feed.xml", Reply(body=rss(("a", "Counted"))))
    _server, base, _env = start_run(tmp_path, processes, "--workers", "2", feeds=[feed])
    assert wait_until(lambda: feed_server.hits["/feed.xml"], timeout=30, every=0.1, what="the fetch")
    with httpx.Client(base_url=base, timeout=10, trust_env=False) as http:
        # New connections each time, so both processes answer some of them; a cookie, so that the
        # micro-cache steps aside and the app counts each one.
        for _ in range(40):
            http.get("/api/v1/", headers={"Connection": "close", "Cookie": "test=uncached"})
        scrapes = [http.get("/metrics", headers={"Connection": "close"}).text for _ in range(8)]
    requests = {
        value(scrape, "blogroll_http_requests_total", method="GET", route="/api/v1/", status="200")
        for scrape in scrapes
    }
    # Whichever process answered the scrape, it counted all 40, and the one fetch of the feed worker.
    assert requests == {40.0}
    assert {value(scrape, "blogroll_feed_fetches_total", outcome="stored") for scrape in scrapes} == {1.0}


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ["--workers", "0"],
            {},
            "Invalid value for --workers: expected `auto` or a number of processes (1 or more), not 0",
        ),
        (["--workers", "two"], {}, "expected `auto` or a number of processes (1 or more), not 'two'"),
        ([], {"BLOGROLL_RUN_WORKERS": "-1"}, "BLOGROLL_RUN_WORKERS: expected `auto` or a number"),
    ],
)
def test_a_wrong_number_of_processes_is_refused(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    done = subprocess.run(
        [BLOGROLL, "run", *args],
        env=server_env(tmp_path, BLOGROLL_PORT=str(free_port()), **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert message in done.stderr
