"""The reference ceiling for Python: a minimal Flask hello world under Blogroll's own gunicorn settings.

    python bench/hello.py      # BLOGROLL_HOST/PORT/WEB_WORKERS/WEB_THREADS as for `blogroll serve`

Same server class, same options (workers, threads, worker class, access log, keep-alive) as
`blogroll serve`: the gap between this and Blogroll's endpoints is the app's own cost.
"""

from __future__ import annotations

from flask import Flask

from blogroll.config import Settings, load_settings
from blogroll.server import GunicornServer, gunicorn_options


def hello_app(_settings: Settings) -> Flask:
    app = Flask("hello")

    @app.get("/")
    def hello() -> str:
        return "Hello, World!"

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


if __name__ == "__main__":
    settings = load_settings()
    options = gunicorn_options(settings, host=settings.host, port=settings.port, workers=settings.web_workers)
    GunicornServer(settings, options, hello_app).run()
