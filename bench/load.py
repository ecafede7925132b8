"""wrk, the load generator of the benchmark suite and of the many-connections fault test
(tests/faults): one bounded run against 127.0.0.1 and the figures bench/report.lua prints.
Standard library only, so the tests can use it without the suite's dependencies."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPORT = Path(__file__).resolve().parent / "report.lua"


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to load {url}: the suite only loads 127.0.0.1")


def wrk(
    url: str,
    connections: int,
    seconds: float,
    paths: list[str] | None = None,
    timeout: float = 10,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One wrk run: its report.lua figures; a request slower than `timeout` seconds counts as an error.
    `headers` go with every request (e.g. a cookie, which no cache answers)."""
    require_loopback(url)
    threads = 1 if connections == 1 else min(2, os.cpu_count() or 1)
    argv = [
        "wrk",
        *(argument for name, value in (headers or {}).items() for argument in ("-H", f"{name}: {value}")),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        f"{timeout:g}s",
        "--latency",
        "-s",
        str(REPORT),
        url,
    ]
    env = dict(os.environ)
    if paths:
        env["BENCH_PATHS"] = " ".join(paths)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
            # wrk counts non-2xx/3xx answers as "status" errors; sockets errors are the rest.
            result["error_count"] = sum(result["errors"].values())
            return result
    raise RuntimeError(f"wrk gave no result for {url}: {done.stdout[-500:]} {done.stderr[-500:]}")
