"""The micro-cache in a real `blogroll run`: writes from another process show within a second, and a
signed-in admin never gets a kept page."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from blogroll.web_sessions import COOKIE_NAME
from tests.admin.forms import PASSWORD, csrf_token
from tests.helpers.ports import free_port
from tests.helpers.processes import BLOGROLL, Processes, server_env
from tests.helpers.waiting import wait_until_healthy

# The most a read may trail a committed write: the copy's second, plus one request on a loaded machine.
VISIBLE_WITHIN = 1.0 + 0.3


@pytest.fixture
def server(tmp_path: Path, processes: Processes) -> tuple[str, dict[str, str]]:
    port = free_port()
    env = server_env(tmp_path, BLOGROLL_PORT=str(port), BLOGROLL_EMBEDDED_WORKER="false")
    base = f"http://127.0.0.1:{port}"
    process = processes.start("run", env=env)
    wait_until_healthy(base, process, lambda: processes.output(process))
    return base, env


def cli(env: dict[str, str], *args: str, stdin: str = "") -> None:
    done = subprocess.run(
        [BLOGROLL, *args], env=env, input=stdin, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def served_from_the_cache(client: httpx.Client, path: str) -> bool:
    """Whether a few reads in a row get a kept copy (a copy lasts until its second ends)."""
    return any(client.get(path).headers["x-cache-status"] == "HIT" for _ in range(20))


def blog_names(client: httpx.Client) -> list[str]:
    response = client.get("/api/v1/blogs")
    assert response.status_code == 200
    return [item["name"] for item in response.json()["items"]]


def test_a_blog_added_by_the_cli_is_listed_within_a_second(server: tuple[str, dict[str, str]]) -> None:
    base, env = server
    with httpx.Client(base_url=base, timeout=5, trust_env=False) as client:
        assert served_from_the_cache(client, "/api/v1/blogs")
        cli(env, "blogs", "add", "Fresh", "https://fresh.example.org/feed.xml")
        written = time.monotonic()
        while "Fresh" not in blog_names(client):
            assert time.monotonic() - written < VISIBLE_WITHIN, "the new blog is still missing"
            time.sleep(0.02)


def test_a_signed_in_admin_never_gets_a_kept_page(server: tuple[str, dict[str, str]]) -> None:
    base, env = server
    cli(env, "users", "create", "keeper", "--password-stdin", stdin=PASSWORD + "\n")
    with (
        httpx.Client(base_url=base, timeout=5, trust_env=False) as anonymous,
        httpx.Client(base_url=base, timeout=5, trust_env=False) as admin,
    ):
        form = admin.get("/admin/login")
        signed_in = admin.post(
            "/admin/login", data={"csrf_token": csrf_token(form.text), "name": "keeper", "password": PASSWORD}
        )
        assert signed_in.status_code == 302 and admin.cookies.get(COOKIE_NAME)
        assert served_from_the_cache(anonymous, "/")
        cli(env, "blogs", "add", "Right Now", "https://now.example.org/feed.xml")
        for path in ("/", "/admin/", "/api/v1/blogs"):
            page = admin.get(path)
            assert page.status_code == 200
            assert page.headers["x-cache-status"] == "BYPASS"
            assert "Right Now" in page.text
