"""The worker inside `blogroll run`: a thread in the gunicorn worker process, beside the web app.

It starts after the fork (gunicorn's `post_worker_init`), so it shares no connection with the
master, and it stops when that process is told to stop, within the same grace period.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from blogroll.config import Settings
from blogroll.storage.db import Database, make_engine
from blogroll.worker.runner import Runner


def embedded_worker_hooks(settings: Settings) -> dict[str, Any]:
    """gunicorn settings that run the feed worker in the (single) web worker process."""
    if not settings.embedded_worker:
        return {}
    started: dict[str, Any] = {}

    def post_worker_init(web_worker: Any) -> None:
        runner = Runner(settings, Database(make_engine(settings)))
        thread = threading.Thread(target=_run, args=(runner,), name="feed-worker", daemon=True)
        watcher = threading.Thread(
            target=_stop_when_told, args=(web_worker, runner), name="feed-worker-stop", daemon=True
        )
        started.update(runner=runner, thread=thread)
        thread.start()
        watcher.start()

    def worker_exit(_arbiter: Any, _web_worker: Any) -> None:
        runner: Runner | None = started.get("runner")
        if runner is not None:
            runner.stop()
            started["thread"].join(timeout=runner.grace)

    return {"post_worker_init": post_worker_init, "worker_exit": worker_exit}


def _run(runner: Runner) -> None:
    try:
        runner.run_forever()
    finally:
        runner.close()
        runner.database.engine.dispose()


def _stop_when_told(web_worker: Any, runner: Runner) -> None:
    """gunicorn's worker clears `alive` on SIGTERM; the feed worker then stops claiming at once,
    rather than after the web requests have drained."""
    while web_worker.alive:
        time.sleep(0.5)
    runner.stop()
