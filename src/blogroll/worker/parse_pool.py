"""Parsing fetched feeds in a few processes of their own, so that one worker uses more than one core.

feedparser and the sanitizer (nh3, called per entry) hold the GIL: a worker's fetch threads wait on
the network side by side, but they parse one at a time, and a first pass over new feeds is then
bound by one core. `ParsePool` hands each body to a small `ProcessPoolExecutor` instead: bytes and
the feed's address go in, a list of `ParsedEntry` (plain strings and datetimes) comes out, and
`FeedParseError` comes back as it would in-thread. With 0 processes it parses in the calling thread,
as before.

The processes are started by a fork server (spawned where there is none), never forked from the
worker itself: the worker has threads, and a fork copies whatever lock one of them held. The fork
server has the parser imported already, so a process rebuilt after a crash starts in milliseconds.

A hostile feed must not stop the pass. A parse process that dies (a crash in a C extension, say)
breaks the whole executor, and every feed it held fails with it, not knowing which one was the
culprit; so the pool is rebuilt and each of those feeds is parsed once more, alone, in a process of
its own: the culprit breaks that one too and is recorded as failed, the others are stored. A parse
that runs past `parse_timeout` has its process stopped the same way (the executor cannot stop one
task, so the pool's processes all go, and the feeds they held are retried alone). At most
`processes` feeds are handed over at once, so a parse's time is its own, not the queue's.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from blogroll.config import Settings
from blogroll.worker.fetch import Abandoned
from blogroll.worker.parse import FeedParseError, ParsedEntry, parse_feed

log = logging.getLogger(__name__)

# What runs in a parse process: a module-level function (it is pickled by name), like parse_feed.
ParseFunction = Callable[..., list[ParsedEntry]]

_CONTEXT_LOCK = threading.Lock()


def parse_processes(settings: Settings, *, embedded: bool) -> int:
    """How many parse processes a worker runs. `auto`: none inside `blogroll run`, whose one process
    also serves the site and whose memory matters more than a first pass's speed (a parse process
    adds about 40 MB); else one per core but the one the worker's own threads use, at least one."""
    if settings.parse_processes != "auto":
        return settings.parse_processes
    if embedded:
        return 0
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
    many threads at once. `close` stops the processes, whatever they are doing."""

    def __init__(self, processes: int, *, timeout: float, parse: ParseFunction = parse_feed) -> None:
        self.processes = processes
        self.timeout = timeout
        self._parse = parse
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        # Feeds handed to the pool at once, so that none waits in the executor's own queue.
        self._slots = threading.BoundedSemaphore(max(1, processes))
        # Feeds parsed again alone after a broken pool go one at a time.
        self._alone = threading.Lock()
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings, *, embedded: bool = False) -> ParsePool:
        return cls(parse_processes(settings, embedded=embedded), timeout=settings.parse_timeout)

    def parse(self, body: bytes, *, url: str, content_type: str | None = None) -> list[ParsedEntry]:
        """The feed's entries, as `parse_feed` gives them; raises FeedParseError for a body that is
        not a feed, or one that crashed or hung its parse process; Abandoned once closed."""
        if self.processes == 0:
            return self._parse(body, url=url, content_type=content_type)
        with self._slots:
            pool = self._current()
            try:
                return self._result(pool, self._submit(pool, body, url, content_type), url)
            except BrokenProcessPool:
                self._discard(pool)
        # Broken by this feed or by another one in the pool at the time: this one, alone, tells.
        with self._alone:
            self._check_open()
            alone = ProcessPoolExecutor(max_workers=1, mp_context=_context())
            try:
                return self._result(alone, self._submit(alone, body, url, content_type), url)
            except BrokenProcessPool:
                self._check_open()
                log.warning("the parse process crashed on the feed %s", url)
                raise FeedParseError(
                    "the feed crashed the feed parser (its process died); the feed is tried again "
                    "at the next fetch"
                ) from None
            finally:
                _stop(alone)

    def pids(self) -> list[int]:
        """The parse processes running now (for the benchmark's memory figures)."""
        with self._lock:
            pool = self._pool
        return list(_processes(pool)) if pool is not None else []

    def close(self) -> None:
        """Stops the parse processes at once (a feed being parsed is abandoned); never waits on one."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            _stop(pool)

    def _check_open(self) -> None:
        if self._closed:
            raise Abandoned("the worker is stopping")

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            self._check_open()
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=self.processes, mp_context=_context())
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        """Drops a broken pool (once, whichever thread sees it first); the next parse makes another."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
                log.warning("a parse process died or was stopped; starting new ones")
        _stop(pool)
        self._check_open()

    def _submit(
        self, pool: ProcessPoolExecutor, body: bytes, url: str, content_type: str | None
    ) -> Future[list[ParsedEntry]]:
        try:
            return pool.submit(self._parse, body, url=url, content_type=content_type)
        except RuntimeError as error:
            # "cannot schedule new futures after shutdown": closed, or broken by another feed just now.
            self._check_open()
            raise BrokenProcessPool(str(error)) from error

    def _result(self, pool: ProcessPoolExecutor, future: Future[list[ParsedEntry]], url: str) -> list[ParsedEntry]:
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            log.warning("parsing the feed %s took over %g s; stopping its process", url, self.timeout)
            # The executor cannot stop one task: its processes all go, the feeds they held are retried.
            self._discard(pool)
            raise FeedParseError(
                f"the feed took over {self.timeout:g} s to parse (BLOGROLL_PARSE_TIMEOUT); "
                "its parser was stopped"
            ) from None


def _processes(pool: ProcessPoolExecutor) -> dict[int, multiprocessing.Process]:
    # A private attribute, read only: the executor has no public way (before Python 3.14's
    # terminate_workers) to stop a process stuck in a task.
    return dict(getattr(pool, "_processes", None) or {})


def _stop(pool: ProcessPoolExecutor) -> None:
    """Kills the pool's processes and shuts it down; quick whatever they were doing."""
    for process in _processes(pool).values():
        try:
            process.kill()
        except (OSError, ValueError):
            pass  # already gone
    pool.shutdown(wait=True, cancel_futures=True)
