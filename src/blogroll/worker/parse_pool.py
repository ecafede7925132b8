"""Parsing fetched feeds in a few processes of their own, so that one worker uses more than one core.

feedparser and the sanitizer (nh3, called per entry) hold the GIL: a worker's fetch threads wait on
the network side by side, but they parse one at a time, and a first pass over new feeds is then
bound by one core. `ParsePool` hands each body to a parse process (a `ProcessPoolExecutor`) instead: bytes and
the feed's address go in, a list of `ParsedEntry` (plain strings and datetimes) comes out, and
`FeedParseError` comes back as it would in-thread. With 0 processes (the default) it parses in the
calling thread, as before.

Measured (BENCHMARKS.md, session 10) on this project's shared 2-core machine, the pool made a first
pass slower, not faster: every feed's round trip (a fetch thread waiting for a free process, the
executor's feeder and result threads, the fetch thread waking) needs the worker's GIL several times,
and with 16 fetch threads and the store loop wanting it too, each hop waits; the parse process then
idles between feeds more than it parses. It is kept, off by default, for workers with cores to
spare, and for its isolation: a feed that crashes or hangs its parser cannot take the worker down.

The processes are started by a fork server (spawned where there is none), never forked from the
worker itself: the worker has threads, and a fork copies whatever lock one of them held. The fork
server has the parser imported already, so a process started to replace a crashed one is quick.

Each parse process is an executor of its own (`max_workers=1`), lent to one feed at a time: a
process that dies (a hostile feed crashing a C extension, say) breaks only its own executor, so the
feed it held is the one recorded as failed, and a parse that runs past `parse_timeout` has its process
killed the same way; either way a new process replaces it and the other feeds go on untouched. One
shared executor of N processes could not tell which feed killed it, and fails every feed it holds.
A process is started (and waited for) before a feed is handed to it, so that a parse's time limit
is the parse's own, not the process's start-up, nor a queue's.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from blogroll.config import Settings
from blogroll.worker.fetch import Abandoned
from blogroll.worker.parse import FeedParseError, ParsedEntry, parse_feed

log = logging.getLogger(__name__)

# What runs in a parse process: a module-level function (it is pickled by name), like parse_feed.
ParseFunction = Callable[..., list[ParsedEntry]]

_CONTEXT_LOCK = threading.Lock()
# How long a new parse process may take to start (imports included) on a busy machine.
STARTUP_SECONDS = 60


def parse_processes(settings: Settings) -> int:
    """How many parse processes a worker runs; `auto`: one per core but the one the worker's own
    threads use, at least one."""
    if settings.parse_processes != "auto":
        return settings.parse_processes
    return max(1, (os.cpu_count() or 1) - 1)


def _context() -> multiprocessing.context.BaseContext:
    """A fork server that has the parser imported; spawn where there is no fork server."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    with _CONTEXT_LOCK:
        # Only read when the fork server starts (once per process); '__main__' is left out on
        # purpose: the worker's main module (gunicorn's, a test runner's) has no business there.
        context.set_forkserver_preload(["blogroll.worker.parse_pool"])
    return context


class ParsePool:
    """Parses feed bodies in `processes` processes (0: in the calling thread); safe to call from
    many threads at once, each waiting for a free process. `close` stops them whatever they do."""

    def __init__(self, processes: int, *, timeout: float, parse: ParseFunction = parse_feed) -> None:
        self.processes = processes
        self.timeout = timeout
        self._parse = parse
        # The free processes; None stands for one not started yet (they start on first use).
        self._free: queue.Queue[ProcessPoolExecutor | None] = queue.Queue()
        for _ in range(processes):
            self._free.put(None)
        self._lock = threading.Lock()
        self._live: set[ProcessPoolExecutor] = set()
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ParsePool:
        return cls(parse_processes(settings), timeout=settings.parse_timeout)

    def parse(self, body: bytes, *, url: str, content_type: str | None = None) -> list[ParsedEntry]:
        """The feed's entries, as `parse_feed` gives them; raises FeedParseError for a body that is
        not a feed, or one that crashed or hung its parse process; Abandoned once closed."""
        if self.processes == 0:
            return self._parse(body, url=url, content_type=content_type)
        executor = self._free.get()
        try:
            self._check_open()
            if executor is None:
                executor = self._start()
            future = executor.submit(self._parse, body, url=url, content_type=content_type)
            try:
                return future.result(timeout=self.timeout)
            except BrokenProcessPool:
                self._retire(executor)
                executor = None
                self._check_open()
                log.warning("the parse process died parsing the feed %s", url)
                raise FeedParseError(
                    "the feed crashed the feed parser (its process died); it is tried again at the next fetch"
                ) from None
            except FutureTimeout:
                self._retire(executor)
                executor = None
                log.warning("parsing the feed %s took over %g s; its process was stopped", url, self.timeout)
                raise FeedParseError(
                    f"the feed took over {self.timeout:g} s to parse (BLOGROLL_PARSE_TIMEOUT); "
                    "its parser was stopped"
                ) from None
        finally:
            self._free.put(executor)

    def start(self) -> None:
        """Starts every parse process now rather than at the first feeds (the benchmark times the
        parsing, not the fork server's start-up)."""
        taken = [self._free.get() for _ in range(self.processes)]
        try:
            for number, executor in enumerate(taken):
                if executor is None:
                    taken[number] = self._start()
        finally:
            for executor in taken:
                self._free.put(executor)

    def pids(self) -> list[int]:
        """The parse processes running now (for the benchmark's memory figures, and tests)."""
        with self._lock:
            live = list(self._live)
        return [pid for executor in live for pid in _processes(executor)]

    def close(self) -> None:
        """Stops the parse processes at once (a feed being parsed is abandoned); never waits on one."""
        with self._lock:
            self._closed = True
            live, self._live = list(self._live), set()
        for executor in live:
            _stop(executor)

    def _check_open(self) -> None:
        if self._closed:
            raise Abandoned("the worker is stopping")

    def _start(self) -> ProcessPoolExecutor:
        """A new parse process, once it is ready to take a feed."""
        executor = ProcessPoolExecutor(max_workers=1, mp_context=_context())
        with self._lock:
            self._live.add(executor)
        self._check_open()
        try:
            executor.submit(_ready, self._parse).result(timeout=STARTUP_SECONDS)
        except (BrokenProcessPool, FutureTimeout):
            self._retire(executor)
            self._check_open()
            raise FeedParseError(
                f"the feed parser's process did not start within {STARTUP_SECONDS} s; "
                "the feed is tried again at the next fetch"
            ) from None
        return executor

    def _retire(self, executor: ProcessPoolExecutor) -> None:
        """Stops a broken or stuck process, unless `close` is stopping it already: two shutdowns
        of one executor at once close its pipes twice."""
        with self._lock:
            if executor not in self._live:
                return
            self._live.remove(executor)
        _stop(executor)


def _ready(parse: ParseFunction) -> bool:
    """Runs in a new parse process: it answers once it has started, the parse function's module
    imported (it came pickled by name)."""
    return callable(parse)


def _processes(executor: ProcessPoolExecutor) -> dict[int, Any]:
    # A private attribute, read only: the executor has no public way (before Python 3.14's
    # terminate_workers) to stop a process stuck in a task.
    return dict(getattr(executor, "_processes", None) or {})


def _stop(executor: ProcessPoolExecutor) -> None:
    """Kills the executor's process and shuts it down; quick whatever it was doing."""
    for process in _processes(executor).values():
        with contextlib.suppress(OSError, ValueError):  # already gone
            process.kill()
    executor.shutdown(wait=True, cancel_futures=True)
