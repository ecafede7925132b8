"""The worker inside `blogroll run`: a thread in exactly one of the gunicorn web processes.

Which process: the one holding an exclusive `flock` on a file of this server's own runtime folder
(`blogroll run` makes it before gunicorn starts). Every web process asks for the lock from a thread as
soon as it has booted; the first gets it and runs the feed worker, the others wait in `flock` itself.
The kernel lets go of a lock when its holder's process ends, however it ends (SIGKILL, a crash, a
gunicorn restart), so one of the waiting processes, or the holder's replacement, takes over at once:
no timer, no pid file to go stale, no rule about which worker is "first" (gunicorn's `worker.age`
changes with every restart). The feed worker's claims are leases in the database, and a runner takes
back what its name held (src/blogroll/worker/claim.py), so the new holder picks up the dead one's blogs.

Each process opens the file itself after the fork: a descriptor inherited from the arbiter would share
one lock between all of them. The feed worker starts after the fork, so it shares no connection with
the arbiter, and it stops when its process is told to stop, within the same grace period.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blogroll.config import Settings

if TYPE_CHECKING:
    from blogroll.worker.runner import Runner

log = logging.getLogger(__name__)

LOCK_FILE = "feed-worker.lock"


def embedded_worker_hooks(settings: Settings, runtime_dir: Path) -> dict[str, Any]:
    """gunicorn settings that run the feed worker in one of the web processes, whichever holds the
    lock on `runtime_dir`/feed-worker.lock."""
    if not settings.embedded_worker:
        return {}
    lock_path = runtime_dir / LOCK_FILE
    started: dict[str, Any] = {}

    def post_worker_init(web_worker: Any) -> None:
        waiter = threading.Thread(
            target=_run_when_locked,
            args=(settings, lock_path, web_worker, started),
            name="feed-worker-lock",
            daemon=True,
        )
        waiter.start()

    def worker_exit(_arbiter: Any, _web_worker: Any) -> None:
        runner = started.get("runner")
        if runner is not None:
            runner.stop()
            started["thread"].join(timeout=runner.grace)

    return {"post_worker_init": post_worker_init, "worker_exit": worker_exit}


def _run_when_locked(settings: Settings, lock_path: Path, web_worker: Any, started: dict[str, Any]) -> None:
    """Waits for the lock (as long as the process lives), then runs the feed worker in this process.
    The file stays open, and so locked, until the process ends."""
    lock = lock_path.open("a")
    fcntl.flock(lock, fcntl.LOCK_EX)  # blocks this thread only: flock lets go of the GIL
    if not web_worker.alive:
        return  # got it while stopping: the process's exit hands it on
    started["lock"] = lock
    # Imported here: only the process that fetches feeds pays for the worker's modules.
    from blogroll.storage.db import Database, make_engine
    from blogroll.worker.runner import Runner

    log.info("feed worker runs in web process %d", os.getpid())
    runner = Runner(settings, Database(make_engine(settings)))
    thread = threading.Thread(target=_run, args=(runner,), name="feed-worker", daemon=True)
    started.update(runner=runner, thread=thread)
    thread.start()
    _stop_when_told(web_worker, runner)


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
