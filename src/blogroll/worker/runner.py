"""The worker loop: claim due blogs in batches, fetch and parse them on threads, store the results.

Fetching is waiting on the network, so plain threads are the simplest fast choice: one thread per
in-flight fetch, at most `fetch_concurrency` of them and `fetch_per_host` per host. The threads are
daemons, so a worker told to stop never waits past its grace period for a fetch stuck in a read.
Only the loop's own thread touches the database: it claims, and it hands the finished fetches to
`store_results` (all those waiting at once, so their 304s share a transaction). One connection is
then enough however many fetches run, and the fetch threads never queue for it. The one exception is
the daily pruning of old entries (`worker.prune`), which a long-running worker does on a thread of its
own, in small transactions, so that storing fetches goes on meanwhile.

A blog whose icon is due (`worker.icons`) has it checked after its feed is stored, on a thread of its
own too: at most `icon_concurrency` at once, beside the feeds' own slots, counted in `fetch_per_host`
like any request, and started only where the feeds waiting for that host still have room. An icon
never holds a claim and never delays storing a feed; a worker that stops drops the icon checks it had
not started.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError

from blogroll.config import Settings
from blogroll.storage.db import Database
from blogroll.storage.models import utcnow
from blogroll.worker import metrics
from blogroll.worker.claim import Claim, claim_due, give_back, take_back
from blogroll.worker.fetch import Abandoned, Fetcher, FetchError, GuardedBackend
from blogroll.worker.icons import IconChecked, IconError, find_icon, icon_fetcher, store_icons
from blogroll.worker.parse import FeedParseError
from blogroll.worker.parse_pool import ParsePool
from blogroll.worker.prune import PRUNE_EVERY, PRUNE_TASK, prune, take_turn
from blogroll.worker.store import Fetched, Kind, Outcome, internal_error, store_results

log = logging.getLogger(__name__)

# Seconds between a long-running worker's questions whether today's pruning is its turn.
PRUNE_CHECK_SECONDS = 600.0


@dataclass
class Report:
    """What a run did: the CLI's summary line, and what `blogroll fetch --blog` explains."""

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


def claims_in_hand(settings: Settings) -> int:
    """How many claimed blogs a worker holds at most, fetching or waiting to: twice its concurrency,
    so that the next fetches are already claimed when slots free up."""
    return 2 * settings.fetch_concurrency


def lease_for(settings: Settings) -> dt.timedelta:
    """A claim lasts as long as the slowest fetch the settings allow, times the blogs that may queue
    before it behind a busy host, so only a crashed worker's claims ever expire."""
    slowest = settings.fetch_total_timeout + settings.fetch_read_timeout + 30
    queued = math.ceil(claims_in_hand(settings) / settings.fetch_per_host)
    return dt.timedelta(seconds=slowest * queued)


def icon_concurrency(settings: Settings) -> int:
    """Icon checks one worker runs at once, beside its feed fetches: a quarter as many."""
    return max(1, settings.fetch_concurrency // 4)


# What a finished fetch thread hands the loop; None only wakes it (to stop, or to look again).
Event = Fetched | IconChecked | None


class Runner:
    """Fetches due blogs until stopped (`run_forever`) or for one pass (`run_pass`)."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        backend: GuardedBackend | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        parser: ParsePool | None = None,
    ) -> None:
        self.settings = settings
        # Parsing and sanitizing hold the GIL, so they run in processes of their own (worker.parse_pool).
        self.parser = parser if parser is not None else ParsePool.from_settings(settings)
        # What the pruning takes as now (tests move it); fetches and claims use the real time.
        self.clock = clock
        self._next_prune_check = 0.0
        self._pruner: threading.Thread | None = None
        self.database = database
        self.fetcher = Fetcher(settings, backend)
        self.icon_fetcher = icon_fetcher(settings, backend)
        self.lease = lease_for(settings)
        self.grace = settings.graceful_timeout
        self._stopping = threading.Event()
        self._stop_requested_at: float | None = None
        self._abandon = threading.Event()
        # Finished fetches and icon checks arrive here.
        self._events: queue.Queue[Event] = queue.Queue()
        # Blogs whose icon is due, once their feed is stored; and those being checked.
        self._icons_waiting: deque[Claim] = deque()
        self._icons_running: dict[int, Claim] = {}

    def stop(self) -> None:
        """Stop claiming, let in-flight fetches finish within the grace period, then abandon them.
        Safe to call from a signal handler or another thread."""
        if self._stop_requested_at is None:
            self._stop_requested_at = time.monotonic()
        self._stopping.set()
        self._events.put(None)

    def close(self) -> None:
        self.parser.close()
        self.fetcher.close()
        self.icon_fetcher.close()

    def run_pass(self, *, blog_ids: Collection[int] | None = None) -> Report:
        """Fetches every blog due now (or only `blog_ids`), each once, and returns."""
        return self._run(once=True, blog_ids=blog_ids)

    def run_forever(self) -> Report:
        """Fetches blogs as they fall due, until `stop()`."""
        log.info(
            "feed worker %s started: %d at once, %d per host", self.settings.worker_name, *self._limits()
        )
        self._take_back()
        report = self._run(once=False, blog_ids=None)
        log.info("feed worker stopped")
        return report

    def _take_back(self) -> None:
        """Only the long-running worker does this: a one-off `blogroll fetch` run beside it (say,
        with `docker compose exec worker`) shares its host name and must not free its claims."""
        try:
            freed = take_back(self.database, self.settings.worker_name)
        except SQLAlchemyError as error:
            log.warning("cannot take back earlier claims; they expire by themselves: %s", error)
            return
        if freed:
            log.info("took back %d claim(s) left by an earlier run of this worker", freed)

    def _limits(self) -> tuple[int, int]:
        return self.settings.fetch_concurrency, self.settings.fetch_per_host

    def _run(self, *, once: bool, blog_ids: Collection[int] | None) -> Report:
        in_hand = claims_in_hand(self.settings)
        due_by = utcnow() if once else None
        report = Report()
        waiting: deque[Claim] = deque()
        running: dict[int, Claim] = {}
        nothing_left = False
        try:
            while not self._stopping.is_set():
                self._beat()
                if not once:
                    self._maybe_prune()
                # Claims are taken in batches, topping up only when half of them have started: one
                # claim per finished fetch would make the claim queries, not the fetches, the pace.
                room = in_hand - len(waiting) - len(running)
                if not nothing_left and (not waiting or room >= in_hand // 2):
                    claimed = self._claim(room, due_by, blog_ids, once=once) if room > 0 else []
                    waiting.extend(claimed)
                    nothing_left = once and len(claimed) < room
                self._start(waiting, running)
                if once and nothing_left and not running and not self._icons_pending():
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
            return claim_due(
                self.database,
                limit=room,
                lease=self.lease,
                owner=self.settings.worker_name,
                due_by=due_by,
                blog_ids=blog_ids,
            )
        except SQLAlchemyError as error:
            if once:
                raise
            log.warning("cannot claim blogs, will retry: %s", error.__class__.__name__)
            return []

    def _start(self, waiting: deque[Claim], running: dict[int, Claim]) -> None:
        """Starts the waiting fetches whose host has room, then icon checks where the feeds still
        waiting for their host leave room (an icon never takes a feed's turn); the others keep their
        place in line."""
        busy = Counter(claim.host for claim in running.values())
        busy.update(_site_host(claim) for claim in self._icons_running.values())
        for claim in list(waiting):
            if len(running) >= self.settings.fetch_concurrency:
                break
            if busy[claim.host] >= self.settings.fetch_per_host:
                continue
            waiting.remove(claim)
            busy[claim.host] += 1
            running[claim.blog_id] = claim
            thread = threading.Thread(
                target=self._job, args=(claim,), name=f"fetch-{claim.blog_id}", daemon=True
            )
            thread.start()
        busy.update(claim.host for claim in waiting)
        for claim in list(self._icons_waiting):
            if len(self._icons_running) >= icon_concurrency(self.settings):
                return
            host = _site_host(claim)
            if busy[host] >= self.settings.fetch_per_host:
                continue
            self._icons_waiting.remove(claim)
            busy[host] += 1
            self._icons_running[claim.blog_id] = claim
            thread = threading.Thread(
                target=self._icon_job, args=(claim,), name=f"icon-{claim.blog_id}", daemon=True
            )
            thread.start()

    def _icons_pending(self) -> bool:
        return bool(self._icons_waiting or self._icons_running)

    def _queue_icons(self, outcomes: list[Outcome]) -> None:
        """The blogs just stored whose icon is due wait for an icon check (not while stopping)."""
        if self._stopping.is_set() or not self.settings.fetch_icons:
            return
        queued = {claim.blog_id for claim in self._icons_waiting} | set(self._icons_running)
        for outcome in outcomes:
            claim = outcome.claim
            finished = outcome.kind in ("stored", "not_modified", "failed")
            if claim.icon_due and finished and claim.blog_id not in queued:
                self._icons_waiting.append(claim)
                queued.add(claim.blog_id)

    def _next_event(self, timeout: float | None) -> Event:
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            return None

    def _collect(self, event: Event, running: dict[int, Claim], report: Report) -> None:
        """Stores the finished fetch and every other one already waiting, the 304s together, then
        the finished icon checks."""
        finished: list[Fetched] = []
        icons: list[IconChecked] = []
        while event is not None:
            if isinstance(event, IconChecked):
                icons.append(event)
            else:
                finished.append(event)
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                event = None
        for fetched in finished:
            running.pop(fetched.claim.blog_id, None)
        outcomes = store_results(self.database, finished, settings=self.settings)
        for outcome in outcomes:
            metrics.fetch_finished(outcome.kind, new_entries=outcome.new)
        report.outcomes.extend(outcomes)
        self._queue_icons(outcomes)
        for checked in icons:
            self._icons_running.pop(checked.claim.blog_id, None)
        store_icons(self.database, icons)

    def _wind_down(self, waiting: deque[Claim], running: dict[int, Claim], report: Report) -> None:
        """Gives back unstarted claims, waits for in-flight fetches, abandons those still going."""
        give_back(self.database, [*waiting])
        waiting.clear()
        # Icon checks not started stay due (their blogs' `icon_check_at` has not moved).
        self._icons_waiting.clear()
        started = self._stop_requested_at or time.monotonic()
        finish_by = started + self.grace * 0.7
        abandon_by = started + self.grace * 0.9
        while (running or self._icons_running) and time.monotonic() < finish_by:
            self._collect(self._next_event(finish_by - time.monotonic()), running, report)
        if running or self._icons_running:
            log.info("abandoning %d in-flight fetch(es)", len(running) + len(self._icons_running))
            self._abandon.set()
            # A feed still being parsed is abandoned too: its process is stopped, not waited for.
            self.parser.close()
            while (running or self._icons_running) and time.monotonic() < abandon_by:
                self._collect(self._next_event(abandon_by - time.monotonic()), running, report)
        self._icons_running.clear()
        self._icons_waiting.clear()
        # Fetches stuck in a read are left to die with the process; their claims are given back now.
        give_back(self.database, [*running.values()])
        if self._pruner is not None:
            # It stops after the batch it is deleting; a batch takes well under a second.
            self._pruner.join(timeout=max(0.0, abandon_by - time.monotonic()))

    def _maybe_prune(self) -> None:
        """Every PRUNE_CHECK_SECONDS, asks whether today's pruning is this worker's turn; if it is,
        prunes on a thread of its own, so that fetches are stored meanwhile."""
        settings = self.settings
        if time.monotonic() < self._next_prune_check or not (
            settings.entry_retention_days or settings.entries_per_blog
        ):
            return
        self._next_prune_check = time.monotonic() + PRUNE_CHECK_SECONDS
        if self._pruner is not None and self._pruner.is_alive():
            return
        try:
            mine = take_turn(
                self.database, PRUNE_TASK, every=PRUNE_EVERY, owner=settings.worker_name, now=self.clock()
            )
        except SQLAlchemyError as error:
            log.warning("cannot tell whether pruning is due, will ask again: %s", error.__class__.__name__)
            return
        if mine:
            self._pruner = threading.Thread(target=self._prune, name="prune", daemon=True)
            self._pruner.start()

    def _prune(self) -> None:
        try:
            pruned = prune(self.database, self.settings, now=self.clock(), stopping=self._stopping.is_set)
        except Exception:
            log.exception("pruning old entries failed; the next run is in a day")
            return
        log.info(
            "pruned %d entries published over %d days ago and %d beyond the newest %d of their blog",
            pruned.too_old,
            self.settings.entry_retention_days,
            pruned.over_limit,
            self.settings.entries_per_blog,
        )

    def _job(self, claim: Claim) -> None:
        with metrics.FETCH_LATENCY.time():
            fetched = self._fetch_and_parse(claim)
        self._events.put(fetched)

    def _icon_job(self, claim: Claim) -> None:
        """Runs on an icon thread: network only, like a feed's; never raises."""
        try:
            checked = IconChecked(
                claim, icon=find_icon(self.icon_fetcher, claim.site, cancelled=self._abandon)
            )
            metrics.icon_checked("found")
        except IconError as error:
            checked = IconChecked(claim, error=error)
            metrics.icon_checked("unreachable" if error.transient else "none")
        except Abandoned:
            checked = IconChecked(claim)
        except Exception as error:
            log.exception("blog %d %s: unexpected error checking its icon", claim.blog_id, claim.site)
            checked = IconChecked(
                claim, error=IconError(f"internal error: {type(error).__name__}", transient=True)
            )
        self._events.put(checked)

    def _fetch_and_parse(self, claim: Claim) -> Fetched:
        """Runs on a fetch thread: network and parsing only, so the threads never wait for the
        database; never raises."""
        try:
            response = self.fetcher.fetch(
                claim.feed_url, etag=claim.etag, last_modified=claim.last_modified, cancelled=self._abandon
            )
            if response.not_modified:
                return Fetched(claim, response)
            entries = self.parser.parse(response.body, url=response.url, content_type=response.content_type)
            return Fetched(claim, response, entries)
        except (FetchError, FeedParseError) as error:
            return Fetched(claim, error=error)
        except Abandoned:
            return Fetched(claim, abandoned=True)
        except Exception as error:
            log.exception("blog %d %s: unexpected error", claim.blog_id, claim.feed_url)
            return Fetched(claim, error=internal_error(error))


def _site_host(claim: Claim) -> str:
    return urlsplit(claim.site).hostname or ""
