"""The compose stack as a benchmark target: build, start, seed, load through the proxy, tear down.

Two targets: `proxy`, anonymous (the proxy's micro-cache answers), then `compose-cookie`, the same
load with a cookie (BYPASS_COOKIE), which the proxy passes to the app uncached: issue 13's "through
the stack" figures, beside `embedded-cookie`'s.

Runs under its own project name (`blogroll-bench`) and image name, on a free 127.0.0.1 port, so it
never touches a stack someone else is running; always ends with `down -v --remove-orphans`.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.suite import Run

PROJECT = "blogroll-bench"
IMAGE = "blogroll-bench"
BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def compose(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    argv = ["docker", "compose", "-p", PROJECT, "-f", str(ROOT / "compose.yaml"), *args]
    return subprocess.run(
        argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def docker_stats() -> list[dict[str, Any]]:
    done = subprocess.run(
        ["docker", "stats", "--no-stream", "--format", "{{json .}}"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return [
        {"name": row["Name"], "cpu": row["CPUPerc"], "memory": row["MemUsage"]}
        for row in rows
        if row.get("Name", "").startswith(PROJECT)
    ]


def image_bytes(name: str) -> int | None:
    done = subprocess.run(
        ["docker", "image", "inspect", name, "--format", "{{.Size}}"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return int(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None


def cache_status(url: str, headers: dict[str, str]) -> str | None:
    """What the proxy's micro-cache did with one GET of `url` (its X-Cache-Status header)."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - 127.0.0.1 only
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        status: str | None = answer.headers.get("X-Cache-Status")
        return status


def load_stack(run: Run, base: str, facts: dict[str, Any]) -> None:
    """The stack's two loads through its proxy at `base`: anonymous (`proxy`), then with a cookie
    (`compose-cookie`), once a request with that cookie was seen to bypass the micro-cache."""
    from bench.suite import BYPASS_COOKIE, log

    run.external(base, "proxy")
    facts["cache_status_with_cookie"] = status = cache_status(base + "/api/v1/blogs", BYPASS_COOKIE)
    if status != "BYPASS":
        run.notes.append(f"compose-cookie: X-Cache-Status {status} with a cookie, not BYPASS: not uncached")
        log(run.notes[-1])
    run.external(base, "compose-cookie", headers=BYPASS_COOKIE)


def compose_target(run: Run) -> None:
    from bench.suite import base_env, log
    from tests.helpers.ports import free_port

    if not (ROOT / "compose.yaml").exists():
        raise RuntimeError("no compose.yaml in the repository yet")
    port = free_port()
    env = base_env(BLOGROLL_PORT=str(port), BLOGROLL_BIND="127.0.0.1", BLOGROLL_IMAGE=IMAGE)
    facts: dict[str, Any] = {"project": PROJECT, "port": port}
    run.extra["compose"] = facts
    try:
        started = time.monotonic()
        up = compose("up", "-d", "--build", "--wait", "--wait-timeout", "300", env=env, timeout=900)
        facts["up_build_wait_s"] = round(time.monotonic() - started, 1)
        (run.logs / "compose-up.log").write_text(up.stdout + up.stderr)
        if up.returncode:
            raise RuntimeError(f"`docker compose up` failed: {up.stderr[-1500:]}")
        log(f"compose stack up (build included) in {facts['up_build_wait_s']} s on 127.0.0.1:{port}")
        seeded = compose(
            "run", "--rm", "--no-deps", "-T", "-v", f"{BENCH}:/bench:ro", "web", "python", "/bench/seed.py",
            env=env,
        )  # fmt: skip
        (run.logs / "compose-seed.log").write_text(seeded.stdout + seeded.stderr)
        if seeded.returncode:
            raise RuntimeError(f"seeding the stack failed: {seeded.stderr[-1500:]}")
        log(seeded.stdout.strip())
        load_stack(run, f"http://127.0.0.1:{port}", facts)
        facts["docker_stats_after_load"] = docker_stats()
        facts["image_bytes"] = image_bytes(f"{IMAGE}:latest")
        facts["base_image_bytes"] = image_bytes("python:3.13-slim")
    finally:
        down = compose("down", "-v", "--remove-orphans", env=env, timeout=300)
        (run.logs / "compose-down.log").write_text(down.stdout + down.stderr)
        log("compose stack removed (down -v)")
