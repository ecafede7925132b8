"""Blogroll's benchmark suite: HTTP load on each way of running Blogroll, beside reference ceilings.

Run it with `bench/run` (see BENCHMARKS.md). Each target is started here, on a free 127.0.0.1 port,
loaded with wrk for a bounded time, and stopped again; only processes this script started are stopped.
Results: a table on the terminal, bench/results/<timestamp>.json and a PNG chart beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from bench.load import require_loopback, wrk
from tests.helpers.ports import free_port

try:
    import psutil
except ModuleNotFoundError:  # without the bench group (scripts/test syncs the dev group only), the
    psutil = None  # tests still import the plans and the goals; only starting servers needs psutil

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
BIN = Path(sys.executable).parent

API = ["/api/v1/blogs", "/api/v1/entries"]
PAGES = ["/", "/blogs/<id>", "/feed.atom"]
API_CONNECTIONS = [1, 32]
PAGE_CONNECTIONS = [1, 32, 256]

# Issue 13's goals at 32 connections, as shares of the hello world's req/s in the same run: `blogroll
# run` answered by its micro-cache, and with a cookie (which no cache answers), embedded and through
# the compose stack's proxy.
GOAL_EMBEDDED_SHARE = {"/api/v1/blogs": 0.7, "/": 0.7, "/api/v1/entries": 0.5}
GOAL_UNCACHED_SHARE = {"/api/v1/blogs": 0.25, "/": 0.1}
GOAL_EMBEDDED_P99_MS = 50
# Any cookie but `blogroll_lang` makes Blogroll's caches step aside (src/blogroll/micro_cache.py).
BYPASS_COOKIE = {"Cookie": "bench=uncached"}
COOKIE_TARGETS = ("embedded-cookie", "compose-cookie")
# The goals (issue 5), checked beside the figures.
GOAL_API_RPS = 3000
GOAL_API_P99_MS = 30
GOAL_P50_ONE_MS = 2.0
GOAL_PAGES_SHARE_OF_NGINX = 0.5
GOAL_WORKER_SPEEDUP = 10
GOAL_WORKER_304_FPS = 500
# The developer loop's goals (bench/devloop.py).
GOAL_EDIT_LIVE_S = 2
GOAL_CODE_REBUILD_S = 10
GOAL_OWN_LAYERS_MB = 60


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- processes -----------------------------------------------------------------------------------------


class Server:
    """A process this suite started (its own session), stopped by its pid only."""

    def __init__(self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path, log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("ab")
        log(f"start {name}: {' '.join(argv)}")
        self.process = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def rss_bytes(self) -> int:
        total = 0
        for process in self.tree():
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                total += process.memory_info().rss
        return total

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, grace: float = 15) -> None:
        if not self.alive():
            self._log.close()
            return
        children = self.tree()[1:]
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log(f"{self.name} did not stop in {grace} s; killing pid {self.process.pid}")
            self.process.kill()
            self.process.wait()
        for child in children:  # only the processes this server itself started
            with contextlib.suppress(psutil.NoSuchProcess):
                if child.is_running():
                    child.kill()
        self._log.close()


def wait_ready(url: str, server: Server | None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if server is not None and not server.alive():
            raise RuntimeError(f"{server.name} exited; see {server.log_path}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - 127.0.0.1 only
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError) as error:
            last = error
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout} s ({last})")


def drain(base_url: str, timeout: float = 120) -> None:
    """Waits until the server has answered every request queued by the last run (wrk stops sending,
    but a server behind on its queue keeps working): the next run must not pay for the last one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            fetch(base_url + "/healthz")
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
            continue
        if time.monotonic() - started < 0.05:
            return
    log(f"{base_url} still slow to answer /healthz after {timeout} s")


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - 127.0.0.1 only
        body: bytes = answer.read()
        return body


# --- load ----------------------------------------------------------------------------------------------


class RssSampler:
    """The server processes' summed RSS, sampled while a load run lasts; keeps the peak."""

    def __init__(self, servers: list[Server]) -> None:
        self.servers = servers
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(server.rss_bytes() for server in self.servers))
            self._stop.wait(0.5)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Measure:
    target: str
    endpoint: str
    connections: int
    runs: list[dict[str, Any]] = field(default_factory=list)
    rss_mb: float | None = None

    def median(self, key: str) -> float:
        value: float = statistics.median(run[key] for run in self.runs)
        return value

    @property
    def errors(self) -> int:
        return sum(run["error_count"] for run in self.runs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "endpoint": self.endpoint,
            "connections": self.connections,
            "rps": round(self.median("rps"), 1),
            "p50_ms": round(self.median("p50_ms"), 3),
            "p99_ms": round(self.median("p99_ms"), 3),
            "errors": self.errors,
            "rss_mb": self.rss_mb,
            "bytes_per_request": round(
                sum(r["bytes"] for r in self.runs) / max(1, sum(r["requests"] for r in self.runs))
            ),
            "runs": self.runs,
        }


@dataclass
class Plan:
    seconds: float
    runs: int
    warmup: float
    measures: list[Measure] = field(default_factory=list)

    def load(
        self,
        target: str,
        base_url: str,
        endpoints: list[tuple[str, list[int]]],
        servers: list[Server],
        blog_paths: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        for endpoint, connection_counts in endpoints:
            paths = blog_paths if endpoint == "/blogs/<id>" else None
            url = base_url + (paths[0] if paths else endpoint)
            # Warm the caches, the pools and the lazy imports; not recorded.
            wrk(url, 8, self.warmup, paths, headers=headers)
            drain(base_url)
            for connections in connection_counts:
                measure = Measure(target, endpoint, connections)
                rss_peak = 0
                for number in range(self.runs):
                    with RssSampler(servers) as sampler:
                        result = wrk(url, connections, self.seconds, paths, headers=headers)
                    rss_peak = max(rss_peak, sampler.peak)
                    drain(base_url)
                    result["loadavg_after"] = os.getloadavg()[0]
                    measure.runs.append(result)
                    log(
                        f"{target:15} {endpoint:16} c={connections:<3} run {number + 1}: "
                        f"{result['rps']:8.0f} req/s  p50 {result['p50_ms']:7.2f} ms  "
                        f"p99 {result['p99_ms']:7.2f} ms  errors {result['error_count']}"
                    )
                measure.rss_mb = round(rss_peak / 2**20, 1) if servers else None
                self.measures.append(measure)


# --- targets -------------------------------------------------------------------------------------------


def app_endpoints() -> list[tuple[str, list[int]]]:
    return [(path, API_CONNECTIONS) for path in API] + [(path, PAGE_CONNECTIONS) for path in PAGES]


def base_env(**values: str) -> dict[str, str]:
    """The environment for a server: ours without Blogroll's variables, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOGROLL_") and k != "DATABASE_URL"}
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    env.update(values)
    return env


def seed(database_url: str, log_dir: Path, *extra: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCH / "seed.py"), "--database-url", database_url, *extra],
        capture_output=True,
        text=True,
        check=False,
        env=base_env(),
        cwd=log_dir,
    )
    if done.returncode:
        raise RuntimeError(f"seeding failed: {done.stderr[-2000:]}")
    line = done.stdout.strip()
    log(line)
    return line


def memory_mb(server: Server) -> dict[str, float]:
    """The server's processes' memory summed: RSS (each process's resident pages, those it shares
    with the others too) and PSS (a shared page divided among its sharers: what the tree costs)."""
    rss = pss = 0
    for process in server.tree():
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            info = process.memory_full_info()
            rss += info.rss
            pss += info.pss
    return {"rss": round(rss / 2**20, 1), "pss": round(pss / 2**20, 1)}


def micro_cache_figures(base_url: str) -> dict[str, float]:
    """What `blogroll run`'s micro-cache did and holds, from its /metrics (src/blogroll/metrics.py)."""
    figures: dict[str, float] = {}
    for line in fetch(base_url + "/metrics").decode().splitlines():
        if line.startswith(
            (
                "blogroll_micro_cache_answers_total",
                "blogroll_micro_cache_bytes",
                "blogroll_micro_cache_entries",
            )
        ):
            name, _, value = line.rpartition(" ")
            figures[name.removeprefix("blogroll_micro_cache_")] = float(value)
    return figures


def blog_paths(base_url: str) -> list[str]:
    data = json.loads(fetch(base_url + "/api/v1/blogs?limit=200"))
    return [f"/blogs/{item['id']}" for item in data["items"]] or ["/blogs/1"]


class Run:
    """One suite run: a work folder, the servers it started, and the plan's measures."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="blogroll-bench-"))
        self.work.chmod(0o755)  # nginx's workers run as an unprivileged user and read files here
        self.logs = self.work / "logs"
        self.logs.mkdir()
        self.plan = Plan(seconds=args.duration, runs=args.runs, warmup=args.warmup)
        self.servers: list[Server] = []
        self.notes: list[str] = []
        self.static_page: bytes | None = None
        self.extra: dict[str, Any] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Server:
        server = Server(name, argv, env=env, cwd=self.work, log_dir=self.logs)
        self.servers.append(server)
        return server

    def stop(self, *servers: Server) -> None:
        for server in servers:
            server.stop()
            self.servers.remove(server)

    def stop_all(self) -> None:
        for server in reversed(list(self.servers)):
            server.stop()
        self.servers.clear()

    # Blogroll, embedded: `blogroll run` on SQLite with its default number of web processes (the feed
    # worker thread in one of them), its micro-cache on (`embedded`); `embedded-cookie`: the same
    # server, every request with a cookie (what a signed-in admin's reads and every cache refresh
    # cost); `embedded-1p`: `blogroll run --workers 1`, anonymous, to compare one process with the default.
    def embedded(self) -> None:
        data = self.work / "embedded"
        data.mkdir()
        seed(f"sqlite:///{data / 'blogroll.db'}", self.logs)
        if {"embedded", "embedded-cookie"} & set(self.args.targets):
            self.embedded_server(data, "embedded", [])
        if "embedded-1p" in self.args.targets:
            self.embedded_server(data, "embedded-1p", ["--workers", "1"])

    def embedded_server(self, data: Path, name: str, options: list[str]) -> None:
        port = free_port()
        env = base_env(BLOGROLL_DATA_DIR=str(data), BLOGROLL_GRACEFUL_TIMEOUT="5")
        server = self.start(name, [str(BIN / "blogroll"), "run", "--port", str(port), *options], env)
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + "/healthz", server)
        self.static_page = self.static_page or fetch(base + "/")
        paths = blog_paths(base)
        self.extra[f"{name}_processes"] = len(server.tree())
        self.extra[f"{name}_memory_at_start_mb"] = memory_mb(server)
        if name == "embedded-1p":
            self.plan.load(name, base, app_endpoints(), [server], paths)
        if name == "embedded" and "embedded" in self.args.targets:
            self.plan.load("embedded", base, app_endpoints(), [server], paths)
        if name == "embedded" and "embedded-cookie" in self.args.targets:
            self.plan.load("embedded-cookie", base, app_endpoints(), [server], paths, headers=BYPASS_COOKIE)
        self.extra[f"{name}_memory_at_end_mb"] = memory_mb(server)
        self.extra[f"{name}_micro_cache"] = micro_cache_figures(base)
        log(
            f"{name}: {self.extra[f'{name}_processes']} processes, memory at start "
            f"{self.extra[f'{name}_memory_at_start_mb']}, at end {self.extra[f'{name}_memory_at_end_mb']}; "
            f"micro-cache: {self.extra[f'{name}_micro_cache']}"
        )
        self.stop(server)

    # Blogroll, production server: `blogroll serve` (gunicorn) on PostgreSQL; then nginx micro-caching
    # in front of it (a prototype for the compose stack's proxy, measured here to back a recommendation).
    def serve(self) -> None:
        admin = self.args.postgres_url
        if not admin:
            self.notes.append("serve: skipped (no --postgres-url / BLOGROLL_TEST_POSTGRES_URL)")
            log(self.notes[-1])
            return
        url = create_database(admin, "blogroll_bench")
        self.extra["postgres_version"] = postgres_version(url)
        seed(url, self.logs)
        port = free_port()
        env = base_env(
            DATABASE_URL=url,
            BLOGROLL_ENV="production",
            BLOGROLL_PORT=str(port),
            BLOGROLL_GRACEFUL_TIMEOUT="5",
            **{k: v for k, v in os.environ.items() if k in ("BLOGROLL_WEB_WORKERS", "BLOGROLL_WEB_THREADS")},
        )
        self.extra["serve_env"] = {k: env[k] for k in env if k.startswith("BLOGROLL_WEB_")}
        server = self.start("serve", [str(BIN / "blogroll"), "serve"], env)
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + "/healthz", server)
        self.static_page = self.static_page or fetch(base + "/")
        paths = blog_paths(base)
        if "serve" in self.args.targets:
            self.plan.load("serve", base, app_endpoints(), [server], paths)
        for variant in ("cached", "stale"):
            if variant in self.args.targets:
                proxy, proxy_url = self.nginx(variant, upstream_port=port, stale=variant == "stale")
                wait_ready(proxy_url + "/healthz", proxy)
                self.plan.load(variant, proxy_url, app_endpoints(), [server, proxy], paths)
                self.stop(proxy)
        self.stop(server)

    # Reference ceiling: nginx serving a static file (a snapshot of Blogroll's own home page).
    def nginx_static(self) -> None:
        server, base = self.nginx("nginx")
        wait_ready(base + "/static.html", server)
        self.plan.load("nginx", base, [("/static.html", PAGE_CONNECTIONS)], [server])
        self.stop(server)

    # Reference ceiling: Flask hello world under Blogroll's own gunicorn settings.
    def hello(self) -> None:
        port = free_port()
        env = base_env(
            BLOGROLL_PORT=str(port),
            BLOGROLL_GRACEFUL_TIMEOUT="5",
            PYTHONPATH=str(BENCH),
            **{k: v for k, v in os.environ.items() if k in ("BLOGROLL_WEB_WORKERS", "BLOGROLL_WEB_THREADS")},
        )
        server = self.start("hello", [sys.executable, str(BENCH / "hello.py")], env)
        base = f"http://127.0.0.1:{port}"
        wait_ready(base + "/healthz", server)
        self.plan.load("hello", base, [("/", PAGE_CONNECTIONS)], [server])
        self.stop(server)

    # Any running Blogroll, e.g. the compose stack's published proxy port (`--target URL`); `headers`
    # with every request (the compose stack's `compose-cookie`: BYPASS_COOKIE).
    def external(
        self,
        url: str,
        name: str = "proxy",
        servers: list[Server] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        base = url.rstrip("/")
        require_loopback(base)
        wait_ready(base + "/healthz", None, timeout=30)
        self.plan.load(name, base, app_endpoints(), servers or [], blog_paths(base), headers=headers)

    def nginx(self, name: str, upstream_port: int | None = None, stale: bool = False) -> tuple[Server, str]:
        prefix = self.work / name
        (prefix / "html").mkdir(parents=True, exist_ok=True)
        (prefix / "html" / "static.html").write_bytes(self.static_page or b"<!doctype html>" + b"x" * 20000)
        port = free_port()
        config = nginx_config(prefix, port, upstream_port, stale=stale)
        (prefix / "nginx.conf").write_text(config)
        argv = [nginx_binary(), "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"]
        return self.start(name, argv, base_env()), f"http://127.0.0.1:{port}"


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_config(prefix: Path, port: int, upstream_port: int | None, *, stale: bool = False) -> str:
    """A private nginx: static files, or (with an upstream) the micro-caching proxy BENCHMARKS.md proposes.

    `cached`: 1 s validity and a cache lock, so content is never more than 1 s old, but every second the
    requests for an expired page wait for the one that refreshes it. `stale` (with `stale=True`) also
    answers from the expired copy while one request refreshes it in the background: nobody waits, and
    content is at most 1 s plus one render old.
    """
    proxy = ""
    if upstream_port:
        proxy = f"""
    proxy_cache_path {prefix}/cache levels=1:2 keys_zone=micro:10m max_size=200m inactive=60s
                     use_temp_path=off;
    upstream blogroll {{ server 127.0.0.1:{upstream_port}; keepalive 32; }}
    # Anonymous GETs only: a request with credentials or a cookie goes straight to the app.
    map $http_authorization$http_cookie $skip_cache {{ "" 0; default 1; }}
"""
    location = "root html;"
    if upstream_port:
        location = """
            proxy_pass http://blogroll;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_cache micro;
            proxy_cache_valid 200 301 302 304 404 1s;
            proxy_cache_lock on;
            proxy_cache_lock_timeout 2s;
            proxy_cache_revalidate on;
            proxy_cache_bypass $skip_cache;
            proxy_no_cache $skip_cache;
            add_header X-Cache $upstream_cache_status always;
"""
        if stale:
            location += """
            proxy_cache_use_stale updating error timeout http_502 http_503;
            proxy_cache_background_update on;
"""
    return f"""
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 2048; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {prefix}/tmp_body;
    proxy_temp_path {prefix}/tmp_proxy;
    fastcgi_temp_path {prefix}/tmp_fastcgi;
    uwsgi_temp_path {prefix}/tmp_uwsgi;
    scgi_temp_path {prefix}/tmp_scgi;
    types {{ text/html html; application/atom+xml xml; }}
    {proxy}
    server {{
        listen 127.0.0.1:{port};
        root {prefix}/html;
        location / {{ {location} }}
        {"" if upstream_port else 'location = /healthz { default_type text/plain; return 200 "ok";}'}
    }}
}}
"""


# --- databases -----------------------------------------------------------------------------------------


def create_database(admin_url: str, name: str) -> str:
    """A fresh database `name` on the admin URL's server; returns its SQLAlchemy URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(admin_url)
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_version(url: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as connection:
        row = connection.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"


# --- machine and report --------------------------------------------------------------------------------


def command_version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "missing"
    return (done.stdout + done.stderr).strip().splitlines()[0] if (done.stdout + done.stderr).strip() else "?"


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    git = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    packages = {}
    for name in ("blogroll", "flask", "werkzeug", "gunicorn", "sqlalchemy", "psycopg", "pydantic", "orjson"):
        with contextlib.suppress(Exception):
            packages[name] = version(name)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "os": platform.freedesktop_os_release().get("PRETTY_NAME", "?")
        if hasattr(platform, "freedesktop_os_release")
        else "?",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": command_version(["wrk", "-v"]),
        "nginx": command_version([nginx_binary(), "-v"]),
        "packages": packages,
        "git": git + ("+dirty src" if dirty else ""),
        "loadavg_at_start": os.getloadavg(),
    }


def goal_for(measure: dict[str, Any], nginx_256: float | None) -> str:
    """The issue's goal for this figure, and whether it is met (goals name the proxy; shown for all)."""
    target, endpoint, c = measure["target"], measure["endpoint"], measure["connections"]
    if target in ("nginx", "hello"):
        return "ceiling"
    if target in EMBEDDED_TARGETS or target in COOKIE_TARGETS:
        return share_goal(measure)
    parts = []
    if c == 1:
        ok = measure["p50_ms"] <= GOAL_P50_ONE_MS
        parts.append(f"p50<={GOAL_P50_ONE_MS:g}ms {'PASS' if ok else 'FAIL'}")
    if endpoint in API and c == 32:
        ok = (
            measure["rps"] >= GOAL_API_RPS and measure["p99_ms"] <= GOAL_API_P99_MS and measure["errors"] == 0
        )
        parts.append(f">={GOAL_API_RPS}/s p99<={GOAL_API_P99_MS}ms 0err {'PASS' if ok else 'FAIL'}")
    if endpoint in PAGES and c == 256:
        if nginx_256:
            need = GOAL_PAGES_SHARE_OF_NGINX * nginx_256
            ok = measure["rps"] >= need and measure["errors"] == 0
            parts.append(f">={need:.0f}/s (nginx/2) {'PASS' if ok else 'FAIL'}")
        else:
            parts.append("needs nginx figure")
    return "; ".join(parts)


def share_goal(measure: dict[str, Any]) -> str:
    """Issue 13's goal for a figure of `blogroll run` or of a cookie's load (embedded or through the
    compose stack): a share of the hello world's req/s at 32 connections."""
    shares = GOAL_UNCACHED_SHARE if measure["target"] in COOKIE_TARGETS else GOAL_EMBEDDED_SHARE
    need = shares.get(measure["endpoint"])
    if measure["connections"] != 32 or need is None:
        return ""
    if measure.get("x_hello") is None:
        return "needs hello figure"
    ok = measure["x_hello"] >= need and measure["errors"] == 0
    text = f">={need:g}x hello"
    if measure["target"] not in COOKIE_TARGETS:
        ok = ok and measure["p99_ms"] <= GOAL_EMBEDDED_P99_MS
        text += f" p99<={GOAL_EMBEDDED_P99_MS}ms"
    return f"{text} {'PASS' if ok else 'FAIL'}"


def with_goals(measures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each figure with its share of the hello world's req/s at the same connections (`x_hello`) and
    its goal (`goal`), as the result file and the table carry them."""
    nginx_256 = next((m["rps"] for m in measures if m["target"] == "nginx" and m["connections"] == 256), None)
    hello = {m["connections"]: m["rps"] for m in measures if m["target"] == "hello"}
    for m in measures:
        m["x_hello"] = round(m["rps"] / hello[m["connections"]], 3) if hello.get(m["connections"]) else None
        m["goal"] = goal_for(m, nginx_256)
    return measures


def table(results: list[dict[str, Any]]) -> str:
    header = (
        f"{'target':15} {'endpoint':16} {'conn':>4} {'req/s':>9} {'x hello':>7} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>6} {'RSS MB':>7}  goal"
    )
    lines = [header, "-" * len(header)]
    for row in results:
        rss = f"{row['rss_mb']:.0f}" if row["rss_mb"] is not None else "-"
        share = f"{row['x_hello']:.3f}" if row.get("x_hello") is not None else "-"
        lines.append(
            f"{row['target']:15} {row['endpoint']:16} {row['connections']:>4} {row['rps']:>9.0f} {share:>7} "
            f"{row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['errors']:>6} {rss:>7}  {row['goal']}"
        )
    return "\n".join(lines)


def chart(results: list[dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    categories: list[str] = []
    for row in results:
        label = f"{row['endpoint']}\nc={row['connections']}"
        if row["target"] in ("nginx", "hello"):
            label = f"(any page)\nc={row['connections']}"
        if label not in categories:
            categories.append(label)
    targets = list(dict.fromkeys(row["target"] for row in results))
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(max(10, len(categories) * 1.1), 9), sharex=True)
    width = 0.8 / max(1, len(targets))
    for index, target in enumerate(targets):
        xs, rps, p99 = [], [], []
        for row in results:
            if row["target"] != target:
                continue
            label = f"{row['endpoint']}\nc={row['connections']}"
            if target in ("nginx", "hello"):
                label = f"(any page)\nc={row['connections']}"
            xs.append(categories.index(label) + (index - (len(targets) - 1) / 2) * width)
            rps.append(row["rps"])
            p99.append(row["p99_ms"])
        top.bar(xs, rps, width, label=target)
        bottom.bar(xs, p99, width, label=target)
    top.set_yscale("log")
    top.set_ylabel("requests/s (median, log)")
    top.axhline(GOAL_API_RPS, color="grey", linestyle="--", linewidth=0.8)
    top.text(-0.4, GOAL_API_RPS * 1.05, f"API goal {GOAL_API_RPS}/s", fontsize=8, color="grey")
    top.legend(ncols=len(targets), fontsize=8)
    top.set_title(title)
    bottom.set_yscale("log")
    bottom.set_ylabel("p99 latency, ms (median, log)")
    bottom.axhline(GOAL_API_P99_MS, color="grey", linestyle="--", linewidth=0.8)
    bottom.set_xticks(range(len(categories)), categories, fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


# --- main ----------------------------------------------------------------------------------------------

EMBEDDED_TARGETS = ["embedded", "embedded-cookie", "embedded-1p"]
ALL_TARGETS = ["nginx", "hello", *EMBEDDED_TARGETS, "serve", "cached", "stale"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--targets",
        default=",".join(ALL_TARGETS),
        help=f"comma-separated, from {','.join(ALL_TARGETS)} (default: all); 'none' for only --target",
    )
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="URL",
        help="also load a running Blogroll at URL (127.0.0.1 only), e.g. the compose proxy port",
    )
    parser.add_argument(
        "--compose",
        action="store_true",
        help="build and start the compose stack (own project name), seed it, load its proxy (`proxy`), "
        "then the same with a cookie, which no cache answers (`compose-cookie`), then `down -v`",
    )
    parser.add_argument("--worker", action="store_true", help="also run the feed-worker benchmark")
    parser.add_argument(
        "--growth",
        action="store_true",
        help="also the cost as the blogroll grows: each endpoint's CPU per request at each scale "
        "(bench/growth.py)",
    )
    parser.add_argument(
        "--growth-scales",
        default="1,10",
        help="growth benchmark: multiples of the benchmark data set, from 1 "
        "(default 1,10; 100 seeds 2M entries)",
    )
    parser.add_argument(
        "--devloop",
        action="store_true",
        help="also time the developer loop: watch edits, code-only rebuild, up --wait, image size",
    )
    parser.add_argument(
        "--profile",
        nargs="?",
        const=100,
        type=int,
        metavar="N",
        help="also profile each endpoint (bench/profile.py): cProfile over N requests (default 100), "
        "py-spy on `blogroll run` under load; `--targets none --profile` for the profile alone",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run (default 10)")
    parser.add_argument(
        "--runs", type=int, default=3, help="runs per figure; the median is reported (default 3)"
    )
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unrecorded warm-up per endpoint")
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 s, 1 run, 1 s warm-up")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BLOGROLL_TEST_POSTGRES_URL"),
        help="admin URL of a PostgreSQL server for `serve`/`cached` (default: $BLOGROLL_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder's data, not only its logs")
    parser.add_argument("--replot", metavar="JSON", help="only redraw the chart and table of a result file")
    parser.add_argument("--feeds", type=int, default=1000, help="worker benchmark: feeds (default 1000)")
    parser.add_argument(
        "--parse-processes",
        default="1",
        help="worker benchmark: the first pass again with BLOGROLL_PARSE_PROCESSES set to each of these "
        "comma-separated values, beside the default's in-thread parsing (default 1)",
    )
    parser.add_argument(
        "--feed-latency-ms",
        default="100,0",
        help="worker benchmark: how long the fixture server holds back each answer; one run of the "
        "passes per comma-separated value (default 100,0)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.runs, args.warmup = 2, 1, 1
    args.targets = [] if args.targets == "none" else [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = set(args.targets) - set(ALL_TARGETS)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    if args.profile is not None and args.profile < 1:
        parser.error("--profile N: N must be at least 1")
    for url in args.target:
        require_loopback(url)
    if args.growth:
        from bench.growth import parse_scales

        try:
            args.growth_scales = parse_scales(args.growth_scales)
        except argparse.ArgumentTypeError as error:
            parser.error(f"--growth-scales: {error}")
    return args


def replot(path: Path) -> int:
    """Draws the chart of an earlier result file again (e.g. after `uv sync` removed matplotlib)."""
    report = json.loads(path.read_text())
    png = path.with_suffix(".png")
    chart(
        report["results"],
        png,
        f"Blogroll {path.stem} ({report['machine']['cores']} cores, "
        f"{report['method']['runs']}x{report['method']['seconds']:g}s, median)",
    )
    print(table(report["results"]))
    print(f"chart: {png}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--replot"]:
        return replot(Path(argv[1]))
    args = parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: `apt-get install wrk` (bench/run installs it when run as root)")
    started = dt.datetime.now(dt.UTC)
    run = Run(args)
    info = machine()
    log(
        f"machine: {info['cpu']}, {info['cores']} cores, "
        f"load {info['loadavg_at_start'][0]:.1f}; work in {run.work}"
    )
    worker_result: dict[str, Any] | None = None
    steps: list[tuple[str, Callable[[], None]]] = []
    # The static page of the nginx ceiling is a snapshot of Blogroll's home page, so ceilings run last.
    if set(EMBEDDED_TARGETS) & set(args.targets):
        steps.append(("embedded", run.embedded))
    if {"serve", "cached", "stale"} & set(args.targets):
        steps.append(("serve", run.serve))
    for number, url in enumerate(args.target):
        steps.append(
            (f"proxy{number}", partial(run.external, url, "proxy" if number == 0 else f"proxy{number}"))
        )
    if args.compose:
        from bench.compose import compose_target

        steps.append(("compose", lambda: compose_target(run)))
    if "nginx" in args.targets:
        steps.append(("nginx", run.nginx_static))
    if "hello" in args.targets:
        steps.append(("hello", run.hello))
    if args.worker:
        from bench.feeds import worker_benchmark

        def worker_step() -> None:
            nonlocal worker_result
            latencies = [float(value) for value in args.feed_latency_ms.split(",")]
            counts = [int(value) for value in args.parse_processes.split(",") if value.strip()]
            worker_result = worker_benchmark(
                run, feeds=args.feeds, latencies_ms=latencies, parse_processes=counts
            )

        steps.append(("worker", worker_step))
    growth_result: dict[str, Any] = {}
    if args.growth:
        from bench.growth import growth_benchmark

        samples = 5 if args.quick else 30
        steps.append(
            (
                "growth",
                lambda: growth_result.update(
                    growth_benchmark(run.work, args.growth_scales, samples=samples, log=log)
                ),
            )
        )
    devloop_result: dict[str, Any] = {}  # filled as the figures come, so a failed step keeps the first ones
    if args.devloop:
        from bench.devloop import devloop_benchmark

        steps.append(("devloop", lambda: devloop_benchmark(run, devloop_result)))
    profile_result: dict[str, Any] = {}
    if args.profile:
        from bench.profile import profile_step

        steps.append(("profile", lambda: profile_step(run, profile_result, args.profile)))
    try:
        for name, step in steps:
            try:
                step()
            except Exception as error:  # one broken target must not lose the others' figures
                run.notes.append(f"{name}: failed: {error}")
                log(run.notes[-1])
                run.stop_all()
    finally:
        run.stop_all()

    measures = with_goals([m.as_dict() for m in run.plan.measures])
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(exist_ok=True)
    report: dict[str, Any] = {
        "started": started.isoformat(),
        "finished": dt.datetime.now(dt.UTC).isoformat(),
        "method": {
            "seconds": args.duration,
            "runs": args.runs,
            "warmup": args.warmup,
            "statistic": "median",
            "wrk_timeout_s": 10,
            "load_generator": "wrk on the same machine",
        },
        "machine": {**info, "loadavg_at_end": os.getloadavg(), **run.extra},
        "results": measures,
        "worker": worker_result,
        "devloop": devloop_result or None,
        "profile": profile_result or None,
        "growth": growth_result or None,
        "notes": run.notes,
        "work_dir": str(run.work),
    }
    json_path = RESULTS / f"{stamp}.json"
    json_path.write_text(json.dumps(report, indent=2))
    print()
    print(
        f"Blogroll benchmarks {stamp}: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB, "
        f"Linux {info['kernel']}, Python {info['python']}; {args.runs} x {args.duration:g} s, median"
    )
    if measures:
        print(table(measures))
    if worker_result:
        print()
        print(worker_table(worker_result))
    if report["devloop"]:
        from bench.devloop import devloop_table

        print()
        print(devloop_table(report["devloop"]))
    if report["profile"]:
        from bench.profile import profile_markdown

        print()
        print(profile_markdown(report["profile"]))
    if growth_result:
        from bench.growth import growth_table

        print(f"\ncost as the blogroll grows ({growth_result['method']}):")
        print(growth_table(growth_result))
    for note in run.notes:
        print(f"note: {note}")
    if measures:
        png = json_path.with_suffix(".png")
        try:
            chart(
                measures,
                png,
                f"Blogroll {stamp} ({info['cores']} cores, {args.runs}x{args.duration:g}s, median)",
            )
            print(f"\nchart: {png}")
        except ImportError:
            # Another `uv sync` (without the bench group) may have removed matplotlib mid-run: uv puts
            # it back for a fresh process.
            redraw = subprocess.run(
                [
                    "uv",
                    "run",
                    "--quiet",
                    "--group",
                    "bench",
                    "python",
                    "-m",
                    "bench.suite",
                    "--replot",
                    str(json_path),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            print(
                f"\nchart: {png}"
                if redraw.returncode == 0
                else f"\nchart skipped: matplotlib missing (run: bench/run --replot {json_path})"
            )
    if not args.keep:
        # The data (SQLite files, fixture feeds, caches) goes; the servers' logs stay for reading.
        for path in run.work.iterdir():
            if path.is_dir() and path != run.logs:
                shutil.rmtree(path, ignore_errors=True)
    print(f"json:  {json_path}\nlogs:  {run.logs}")
    return 0


def worker_table(result: dict[str, Any]) -> str:
    lines = [
        f"feed worker: {result['feeds']} feeds x {result['entries_per_feed']} entries "
        f"({result['database']}), {result.get('concurrency')} fetches at once"
    ]
    for run in result.get("runs", [result]):
        lines.append(f"  fixture latency {run.get('latency_ms', 0):g} ms")
        for key in (
            "naive",
            "first_pass",
            "not_modified_pass",
            *sorted(key for key in run if key.startswith("first_pass_parse")),
            "first_pass_scaled",
            "not_modified_pass_scaled",
        ):
            item = run.get(key)
            if item:
                lines.append(
                    f"    {key:24} {item['seconds']:7.2f} s  {item['feeds_per_s']:8.1f} feeds/s  "
                    f"{item.get('summary', '')}"
                )
                if item.get("rss_mb"):
                    lines.append(
                        f"    {'':24} peak RSS {item['rss_mb']:.0f} MB, parse processes "
                        f"{item.get('parse_rss_mb', [])} MB"
                    )
        lines.extend(f"    goal: {goal}" for goal in run.get("goals", []))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
