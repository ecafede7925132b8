"""The submission webhook: a small JSON event POSTed to BLOGROLL_SUBMISSION_WEBHOOK_URL for each new
submission, so keepers hear of it in their chat or mail without watching the queue.

It never slows or fails the visitor's answer: events wait in a bounded queue for one background
thread per process, which POSTs each with a short timeout and logs what went wrong. The URL is the
operator's, but it is reached through the feed worker's guard all the same (a private address is
refused unless BLOGROLL_ALLOW_PRIVATE_FEEDS is true), and redirects are not followed. The URL may
carry a token, so logs name only its scheme, host and port. The event holds what a keeper needs to
decide, never the submitter's contact, note or address.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Flask, current_app, url_for

from blogroll.config import Settings
from blogroll.formats import rfc3339_seconds
from blogroll.storage.models import Submission
from blogroll.submissions import discovery_of

if TYPE_CHECKING:
    # Imported by the sending thread: httpx is about 3 MB of each web process (BENCHMARKS.md,
    # session 11), and most processes never send an event.
    import httpx

log = logging.getLogger(__name__)

EXTENSION_KEY = "blogroll.submission_webhook"
EVENT_TYPE = "submission.created"
# Events waiting at most; past that a burst of submissions drops events (each one logged), never
# memory or the visitor's time.
QUEUE_SIZE = 100
# Latest titles an event carries: a glimpse, not the feed.
EVENT_TITLES = 5


def submission_event(submission: Submission, *, admin_url: str) -> dict[str, Any]:
    """The JSON event of a new submission: what it is and where to decide on it."""
    found = discovery_of(submission)
    return {
        "type": EVENT_TYPE,
        "id": submission.id,
        "created_at": rfc3339_seconds(submission.created_at),
        "site_url": submission.site_url,
        "name": submission.name or "",
        "feed_url": submission.feed_url or "",
        "discovery": {
            "feed_format": found.get("feed_format"),
            "feed_title": found.get("feed_title"),
            "reason": found.get("reason"),
            "latest_titles": list(found.get("latest_titles", []))[:EVENT_TITLES],
        },
        "admin_url": admin_url,
    }


class Webhook:
    """POSTs events to one URL from a background thread, started on the first event (so a forked
    server process starts its own)."""

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url
        self.where = describe(url)
        self.timeout = settings.submission_webhook_timeout
        self.allow_private = settings.allow_private_feeds
        self.user_agent = settings.fetch_user_agent or _user_agent()
        self._events: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=QUEUE_SIZE)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def send(self, event: dict[str, Any]) -> None:
        """Queues `event` and returns at once; a full queue drops it, with a warning."""
        self._start()
        try:
            self._events.put_nowait(event)
        except queue.Full:
            log.warning("submission webhook to %s: %d events waiting, event dropped", self.where, QUEUE_SIZE)

    def wait(self, timeout: float) -> bool:
        """True once every queued event was delivered or given up on, within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._events.all_tasks_done:
            while self._events.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._events.all_tasks_done.wait(left)
        return True

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="submission-webhook", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        import httpx

        from blogroll.worker.fetch import GuardedBackend, GuardedTransport

        backend = GuardedBackend(allow_private=self.allow_private)
        with httpx.Client(
            transport=GuardedTransport(backend, max_connections=1),
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,
            trust_env=False,
        ) as client:
            while True:
                event = self._events.get()
                try:
                    self.deliver(client, event)
                except Exception as error:  # the thread must outlive any one event
                    # Its name only: a message or traceback could quote the URL, and its token.
                    log.error("submission webhook to %s not sent: %s", self.where, type(error).__name__)
                finally:
                    self._events.task_done()

    def deliver(self, client: httpx.Client, event: dict[str, Any]) -> bool:
        """POSTs `event` once; logs the outcome and returns whether the hook took it (2xx)."""
        import httpx

        from blogroll.worker.fetch import AddressRefused

        headers = {"User-Agent": self.user_agent, "X-Blogroll-Event": EVENT_TYPE}
        try:
            # Streamed, and the body never read: an answer that goes on forever cannot hold the thread.
            with client.stream("POST", self.url, json=event, headers=headers) as response:
                status = response.status_code
        except AddressRefused as refused:
            log.warning("submission webhook to %s not sent: %s", self.where, refused)
            return False
        except httpx.TimeoutException as error:
            log.warning(
                "submission webhook to %s timed out (%s after %g s)",
                self.where,
                type(error).__name__,
                self.timeout,
            )
            return False
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            problem = str(error).replace(self.url, self.where) or type(error).__name__
            log.warning("submission webhook to %s failed: %s", self.where, problem)
            return False
        if not 200 <= status < 300:
            log.warning("submission webhook to %s answered HTTP %s", self.where, status)
            return False
        log.info("submission webhook to %s took submission %s", self.where, event.get("id"))
        return True


def describe(url: str) -> str:
    """The URL as logs may show it: scheme, host and port, without the path or query that may hold a
    token."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def init_app(app: Flask, settings: Settings) -> None:
    """Sets up the webhook when BLOGROLL_SUBMISSION_WEBHOOK_URL is set; on exit, waits briefly for
    the events still queued."""
    if settings.submission_webhook_url is None:
        return
    webhook = Webhook(settings.submission_webhook_url.get_secret_value(), settings)
    app.extensions[EXTENSION_KEY] = webhook
    atexit.register(webhook.wait, settings.submission_webhook_timeout)


def get_webhook(app: Flask | None = None) -> Webhook | None:
    webhook: Webhook | None = (app or current_app).extensions.get(EXTENSION_KEY)
    return webhook


def announce_submission(submission: Submission) -> None:
    """Sends the webhook's event for a submission just committed, if a webhook is set; in a request."""
    webhook = get_webhook()
    if webhook is None:
        return
    admin_url = url_for("admin.submission_list", _external=True, _anchor=f"submission-{submission.id}")
    webhook.send(submission_event(submission, admin_url=admin_url))


def _user_agent() -> str:
    from blogroll import __version__

    return f"Blogroll/{__version__} (webhook)"
