"""Which WSGI server and worker model: the same app under each, loaded the same way.

    python -m bench.servers --postgres-url URL_OF_A_SEEDED_DATABASE [--granian PATH] [--duration 5]

Candidates: gunicorn sync (2 and 3 processes), gunicorn gthread (2 x 4, as `blogroll serve` ships),
and granian (Rust HTTP, WSGI interface; give the `granian` of a venv where blogroll is installed).
None writes an access log here except `+log` (as `blogroll serve` does), so the figure is the server's
and the app's cost only. The endpoints:
the hello world (the server's own cost) and /api/v1/blogs (a real read), at 32 connections.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from bench.load import wrk
from bench.suite import BIN, RESULTS, ROOT, Server, base_env, drain, log, wait_ready
from tests.helpers.ports import free_port

CANDIDATES = {
    "gunicorn sync x2": ["{bin}/gunicorn", "-w", "2", "-k", "sync"],
    "gunicorn sync x3": ["{bin}/gunicorn", "-w", "3", "-k", "sync"],
    "gunicorn gthread 2x4": ["{bin}/gunicorn", "-w", "2", "-k", "gthread", "--threads", "4"],
    "gunicorn gthread 2x4 +log": [
        "{bin}/gunicorn",
        "-w",
        "2",
        "-k",
        "gthread",
        "--threads",
        "4",
        "--access-logfile",
        "-",
    ],
    "granian wsgi x2": ["{granian}", "--interface", "wsgi", "--workers", "2", "--blocking-threads", "1"],
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres-url", required=True, help="a database seeded by bench/seed.py")
    parser.add_argument("--granian", help="path of a granian executable (its venv must have blogroll)")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    work = Path(os.environ.get("TMPDIR", "/tmp")) / f"blogroll-servers-{os.getpid()}"
    work.mkdir()
    results = []
    for name, template in CANDIDATES.items():
        if "{granian}" in template and not args.granian:
            continue
        for target, path in (("hello", "/"), ("app", "/api/v1/blogs")):
            port = free_port()
            argv = [part.format(bin=BIN, granian=args.granian) for part in template]
            if argv[0].endswith("gunicorn"):
                argv += ["-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), f"bench.wsgi_app:{target}"]
            else:
                argv += [
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--working-dir",
                    str(ROOT),
                    f"bench.wsgi_app:{target}",
                ]
            env = base_env(
                DATABASE_URL=args.postgres_url,
                BLOGROLL_ENV="production",
                BLOGROLL_LOG_LEVEL="WARNING",
                PYTHONPATH=str(ROOT),
            )
            server = Server(f"{name.replace(' ', '-')}-{target}", argv, env=env, cwd=work, log_dir=work)
            base = f"http://127.0.0.1:{port}"
            try:
                wait_ready(base + "/healthz", server)
                wrk(base + path, 8, 2)
                drain(base)
                result = wrk(base + path, args.connections, args.duration)
                result["rss_mb"] = round(server.rss_bytes() / 2**20, 1)
            finally:
                server.stop()
            log(
                f"{name:22} {target:5} {result['rps']:8.0f} req/s  p50 {result['p50_ms']:6.2f} ms  "
                f"p99 {result['p99_ms']:7.2f} ms  errors {result['error_count']}  RSS {result['rss_mb']} MB"
            )
            results.append(
                {"server": name, "target": target, "path": path, "connections": args.connections, **result}
            )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"servers-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"{'server':22} {'target':6} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>8} {'errors':>6}")
    for row in results:
        print(
            f"{row['server']:22} {row['target']:6} {row['rps']:8.0f} {row['p50_ms']:7.2f} "
            f"{row['p99_ms']:8.2f} {row['error_count']:6}"
        )
    print(f"json: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
