"""The worker loop: claim due blogs, fetch them on a few threads, store each result, repeat.

Fetching is waiting on the network, so plain threads are the simplest fast choice: one thread per
in-flight fetch, at most `fetch_concurrency` of them and `fetch_per_host` per host. The threads are
daemons, so a worker told to stop never waits past its grace period for a fetch stuck in a read;
each blog's result is one transaction, so a fetch cut short leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.exc import SQLAlchemyError

from blogroll.config import Settings
from blogroll.storage.db import Database
from blogroll.storage.models import utcnow
from blogroll.worker.claim import Claim, claim_due, release
from blogroll.worker.fetch import Abandoned, Fetcher, FetchError, GuardedBackend
from blogroll.worker.parse import parse_feed
from blogroll.worker.store import ClaimLost, store_failure, store_feed, store_not_modified

log = logging.getLogger(__name__)

Kind = Literal["stored", "not_modified", "failed", "abandoned", "lost"]


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed blog."""

    claim: Claim
    kind: Kind
    new: int = 0
    updated: int = 0
    error: str | None = None


@dataclass
class Report:
    """What a run did, for the CLI's summary line and for tests."""

    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, kind: Kind) -> int:
        return sum(1 for outcome in self.outcomes if outcome.kind == kind)

    @property
    def new(self) -> int:
        return sum(outcome.new for outcome in self.outcomes)

    @property
    def updated(self) -> int:
        return sum(outcome.updated for outcome in self.outcomes)

    def summary(self) -> str:
        fetched = self.count("stored") + self.count("not_modified") + self.count("failed")
        return (
            f"Fetched {fetched} blog(s): {self.new} new entries, {self.updated} updated, "
            f"{self.count('not_modified')} not modified, {self.count('failed')} failed."
        )


def lease_for(settings: Settings) -> dt.timedelta:
    """A claim lasts as long as the slowest fetch the settings allow, times the blogs that may queue
    behind a busy host, so only a crashed worker's claims ever expire."""
    slowest = settings.fetch_total_timeout + settings.fetch_read_timeout + 30
    queued = math.ceil(settings.fetch_concurrency / settings.fetch_per_host)
    return dt.timedelta(seconds=slowest * (queued + 1))


class Runner:
    """Fetches due blogs until stopped (`run_forever`) or for one pass (`run_pass`)."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        backend: GuardedBackend | None = None,
        grace: float | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.fetcher = Fetcher(settings, backend)
        self.lease = lease_for(settings)
        self.grace = settings.graceful_timeout if grace is None else grace
        self._stopping = threading.Event()
        self._stop_requested_at: float | None = None
        self._abandon = threading.Event()
        # Finished fetches arrive here; None only wakes the loop (to stop, or to look again).
        self._events: queue.Queue[Outcome | None] = queue.Queue()

    def stop(self) -> None:
        """Stop claiming, let in-flight fetches finish within the grace period, then abandon them.
        Safe to call from a signal handler or another thread."""
        if self._stop_requested_at is None:
            self._stop_requested_at = time.monotonic()
        self._stopping.set()
        self._events.put(None)

    def close(self) -> None:
        self.fetcher.close()

    def run_pass(self, *, blog_ids: Collection[int] | None = None) -> Report:
        """Fetches every blog due now (or only `blog_ids`), each once, and returns."""
        return self._run(once=True, blog_ids=blog_ids)

    def run_forever(self) -> Report:
        """Fetches blogs as they fall due, until `stop()`."""
        log.info("feed worker started: %d at once, %d per host", *self._limits())
        report = self._run(once=False, blog_ids=None)
        log.info("feed worker stopped")
        return report

    def _limits(self) -> tuple[int, int]:
        return self.settings.fetch_concurrency, self.settings.fetch_per_host

    def _run(self, *, once: bool, blog_ids: Collection[int] | None) -> Report:
        concurrency, _per_host = self._limits()
        due_by = utcnow() if once else None
        report = Report()
        waiting: deque[Claim] = deque()
        running: dict[int, Claim] = {}
        nothing_left = False
        try:
            while not self._stopping.is_set():
                self._beat()
                room = concurrency - len(waiting) - len(running)
                if room > 0 and not nothing_left:
                    claimed = self._claim(room, due_by, blog_ids, once=once)
                    waiting.extend(claimed)
                    nothing_left = once and len(claimed) < room
                self._start(waiting, running)
                if once and nothing_left and not running:
                    break
                idle_wait = None if once else self.settings.fetch_poll_interval
                self._collect(self._next_event(idle_wait), running, report)
        finally:
            self._wind_down(waiting, running, report)
        return report

    def _beat(self) -> None:
        """Touches the heartbeat file: the loop comes round at least every poll interval, so a stale
        file means a stuck worker, which the container's health check reports."""
        path = self.settings.worker_heartbeat_file
        if path is None:
            return
        try:
            path.touch()
        except OSError as error:
            log.warning("cannot touch the heartbeat file %s: %s", path, error.strerror)

    def _claim(
        self, room: int, due_by: dt.datetime | None, blog_ids: Collection[int] | None, *, once: bool
    ) -> list[Claim]:
        try:
            return claim_due(self.database, limit=room, lease=self.lease, due_by=due_by, blog_ids=blog_ids)
        except SQLAlchemyError as error:
            if once:
                raise
            log.warning("cannot claim blogs, will retry: %s", error.__class__.__name__)
            return []

    def _start(self, waiting: deque[Claim], running: dict[int, Claim]) -> None:
        """Starts the waiting fetches whose host has room; the others keep their place in line."""
        busy = Counter(claim.host for claim in running.values())
        for claim in list(waiting):
            if busy[claim.host] >= self.settings.fetch_per_host:
                continue
            waiting.remove(claim)
            busy[claim.host] += 1
            running[claim.blog_id] = claim
            thread = threading.Thread(
                target=self._job, args=(claim,), name=f"fetch-{claim.blog_id}", daemon=True
            )
            thread.start()

    def _next_event(self, timeout: float | None) -> Outcome | None:
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            return None

    def _collect(self, event: Outcome | None, running: dict[int, Claim], report: Report) -> None:
        if event is not None:
            running.pop(event.claim.blog_id, None)
            report.outcomes.append(event)

    def _wind_down(self, waiting: deque[Claim], running: dict[int, Claim], report: Report) -> None:
        """Gives back unstarted claims, waits for in-flight fetches, abandons those still going."""
        self._release([*waiting])
        waiting.clear()
        started = self._stop_requested_at or time.monotonic()
        finish_by = started + self.grace * 0.7
        abandon_by = started + self.grace * 0.9
        while running and time.monotonic() < finish_by:
            self._collect(self._next_event(finish_by - time.monotonic()), running, report)
        if running:
            log.info("abandoning %d in-flight fetch(es)", len(running))
            self._abandon.set()
            while running and time.monotonic() < abandon_by:
                self._collect(self._next_event(abandon_by - time.monotonic()), running, report)
        # Fetches stuck in a read are left to die with the process; their claims are given back now.
        self._release([*running.values()])

    def _release(self, claims: list[Claim]) -> None:
        try:
            release(self.database, claims)
        except SQLAlchemyError as error:
            log.warning("cannot release %d claim(s); they expire by themselves: %s", len(claims), error)

    def _job(self, claim: Claim) -> None:
        self._events.put(self._fetch_and_store(claim))

    def _fetch_and_store(self, claim: Claim) -> Outcome:
        """Fetches one blog and stores the result in one transaction; never raises."""
        try:
            try:
                response = self.fetcher.fetch(
                    claim.feed_url,
                    etag=claim.etag,
                    last_modified=claim.last_modified,
                    cancelled=self._abandon,
                )
                entries = (
                    []
                    if response.not_modified
                    else parse_feed(response.body, url=response.url, content_type=response.content_type)
                )
            except FetchError as error:
                self._store_failure(claim, error)
                log.info("blog %d %s: %s", claim.blog_id, claim.feed_url, error)
                return Outcome(claim, "failed", error=str(error))
            now = utcnow()
            with self.database.session() as session:
                if response.not_modified:
                    store_not_modified(session, claim, response, settings=self.settings, now=now)
                    log.info("blog %d %s: not modified", claim.blog_id, claim.feed_url)
                    return Outcome(claim, "not_modified")
                stored = store_feed(session, claim, response, entries, settings=self.settings, now=now)
            log.info(
                "blog %d %s: %d new, %d updated", claim.blog_id, response.url, stored.new, stored.updated
            )
            return Outcome(claim, "stored", new=stored.new, updated=stored.updated)
        except Abandoned:
            self._release([claim])
            return Outcome(claim, "abandoned")
        except ClaimLost as lost:
            log.warning("%s; its result was dropped", lost)
            return Outcome(claim, "lost")
        except Exception as error:
            # A bug or a database failure: record it on the blog if possible, so it backs off.
            log.exception("blog %d %s: unexpected error", claim.blog_id, claim.feed_url)
            message = f"internal error: {error.__class__.__name__}"
            try:
                self._store_failure(claim, FetchError(message))
            except Exception:
                log.warning("blog %d: cannot record the error either", claim.blog_id)
            return Outcome(claim, "failed", error=message)

    def _store_failure(self, claim: Claim, error: FetchError) -> None:
        with self.database.session() as session:
            store_failure(session, claim, error, settings=self.settings, now=utcnow())
