"""`/metrics`: Prometheus text with requests by route, latency, connections, blogs and fetches."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from blogroll.storage.models import Blog
from tests.helpers.ports import free_port
from tests.helpers.processes import BLOGROLL, Processes, server_env
from tests.helpers.waiting import wait_until_healthy


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and labels (parsing proves the text is valid too)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(scrape: str, name: str, **labels: str) -> float:
    return samples(scrape).get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_by_route_pattern_not_by_path(client: FlaskClient) -> None:
    before = client.get("/metrics").get_data(as_text=True)
    for blog_id in (99991, 99992, 99993):
        assert client.get(f"/api/v1/blogs/{blog_id}").status_code == 404
    scrape = client.get("/metrics")

    assert scrape.status_code == 200
    assert scrape.mimetype == "text/plain"
    text = scrape.get_data(as_text=True)
    labels = {"method": "GET", "route": "/api/v1/blogs/<int:blog_id>", "status": "404"}
    assert (
        value(text, "blogroll_http_requests_total", **labels)
        - value(before, "blogroll_http_requests_total", **labels)
        == 3
    )
    label_values = [value for (_name, labels) in samples(text) for (_key, value) in labels]
    assert not any("9999" in value for value in label_values)
    assert (
        value(text, "blogroll_http_request_duration_seconds_count", method="GET", route=labels["route"]) >= 3
    )


def test_blogs_due_and_paused_are_counted_at_the_scrape(
    client: FlaskClient, session: Session, add_blog: Callable[..., Blog]
) -> None:
    add_blog(name="Due one")
    paused = add_blog(name="Paused one")
    paused.enabled = False
    session.commit()
    text = client.get("/metrics").get_data(as_text=True)
    assert value(text, "blogroll_blogs", state="paused") == 1
    assert value(text, "blogroll_blogs", state="due") == 1


def test_serve_with_two_processes_sums_their_counts(tmp_path: Path, processes: Processes) -> None:
    """Each scrape reaches one gunicorn process; multiprocess mode makes it answer for both."""
    port = free_port()
    env = server_env(tmp_path, BLOGROLL_PORT=str(port), BLOGROLL_WEB_WORKERS="2")
    subprocess.run([BLOGROLL, "db", "upgrade"], env=env, check=True, capture_output=True)
    process = processes.start("serve", env=env)
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(base, process, lambda: processes.output(process), 30)
    with httpx.Client(base_url=base, timeout=10) as http:
        # New connections each time, so both processes answer some of them.
        for _ in range(40):
            http.get("/api/v1/blogs", headers={"Connection": "close"})
        scrapes = [http.get("/metrics", headers={"Connection": "close"}).text for _ in range(6)]
    counts = {
        value(scrape, "blogroll_http_requests_total", method="GET", route="/api/v1/blogs", status="200")
        for scrape in scrapes
    }
    # Whichever process answered the scrape, it counted all 40.
    assert counts == {40.0}
    assert re.search(r"blogroll_db_connections_in_use\S* ", scrapes[0])
