"""The production WSGI server: gunicorn, configured from Blogroll's settings instead of its own files."""

from __future__ import annotations

import gc
import inspect
import logging
import sys
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from blogroll import unread_bodies
from blogroll.config import Settings
from blogroll.logs import JsonFormatter
from blogroll.micro_cache import MicroCache


class GunicornServer(BaseApplication):  # type: ignore[misc]
    """Runs `create_app(settings)` in each gunicorn worker (after the fork, so no pool is shared)."""

    def __init__(
        self,
        settings: Settings,
        options: dict[str, Any],
        app_factory: Callable[[Settings], Flask],
        *,
        micro_cache: bool = False,
    ) -> None:
        self.settings = settings
        self.options = options
        self.app_factory = app_factory
        self.micro_cache = micro_cache
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in NEWER_GUNICORN_SETTINGS and key not in self.cfg.settings:
                continue
            self.cfg.set(key, value)

    def load(self) -> Flask:
        app = self.app_factory(self.settings)
        if self.micro_cache:
            app.wsgi_app = micro_cache_for(app, self.settings)  # type: ignore[method-assign]
        # Outermost: it must see the body exactly as gunicorn hands it over.
        app.wsgi_app = unread_bodies.DiscardUnreadBodies(  # type: ignore[method-assign]
            app.wsgi_app,
            max_bytes=unread_bodies.DISCARD_FACTOR * self.settings.max_body_bytes,
            seconds=unread_bodies.DISCARD_SECONDS,
        )
        return app


def wants_micro_cache(settings: Settings, *, behind_proxy: bool) -> bool:
    """BLOGROLL_MICRO_CACHE: `auto` caches only where no proxy does (`blogroll run`)."""
    if settings.micro_cache == "auto":
        return not behind_proxy
    return settings.micro_cache == "on"


def micro_cache_for(app: Flask, settings: Settings) -> MicroCache:
    """The app behind the in-process micro-cache, counted in /metrics when metrics are on."""
    count = None
    if settings.metrics:
        from blogroll.metrics import count_micro_cache

        count = count_micro_cache
    cache = MicroCache(
        app.wsgi_app,
        max_bytes=settings.micro_cache_max_bytes,
        max_entries=settings.micro_cache_max_entries,
        count=count,
    )
    if settings.metrics:
        from blogroll.metrics import watch_micro_cache

        watch_micro_cache(cache)
    return cache


class StdoutLogger(Logger):  # type: ignore[misc]
    """gunicorn writes its own messages to stderr; Blogroll logs everything to stdout, as Docker expects."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            if getattr(handler, "_gunicorn", False) and type(handler) is logging.StreamHandler:
                handler.setStream(sys.stdout)


class JsonLogger(StdoutLogger):
    """gunicorn's own messages (start-up, worker boots and exits) as JSON lines, like the app's."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())


# Young-generation collections every 20,000 allocations instead of 700: a page makes tens of thousands of
# short-lived objects, so the default collected ~5 times per request (bench: -25 % CPU on `/`).
GC_THRESHOLDS = (20_000, 50, 1_000)


def freeze_start_up_heap(_web_worker: Any) -> None:
    """Moves everything the app built at start-up out of the collector's sight, so no collection walks
    those long-lived objects again (gunicorn's `post_worker_init`: after the app is loaded)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def with_hooks(options: dict[str, Any], hooks: dict[str, Callable[..., None]]) -> dict[str, Any]:
    """The options plus more gunicorn server hooks; a hook already set runs first, then the new one."""
    combined = dict(options)
    for name, hook in hooks.items():
        earlier = combined.get(name)
        combined[name] = hook if earlier is None else _chain(earlier, hook)
    return combined


def _chain(first: Callable[..., None], then: Callable[..., None]) -> Callable[..., None]:
    def both(*args: Any) -> None:
        first(*args)
        then(*args)

    # gunicorn checks a hook's number of positional parameters.
    both.__signature__ = inspect.signature(first)  # type: ignore[attr-defined]
    return both


# Settings that older gunicorn releases do not know; they are skipped there.
NEWER_GUNICORN_SETTINGS = {"control_socket_disable"}


def gunicorn_options(settings: Settings, *, host: str, port: int, workers: int) -> dict[str, Any]:
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "threads": settings.web_threads,
        "worker_class": "gthread" if settings.web_threads > 1 else "sync",
        "graceful_timeout": settings.graceful_timeout,
        "timeout": 60,
        "keepalive": 5,
        # None turns gunicorn's access log off. In JSON mode the app logs each request itself.
        "accesslog": "-" if settings.access_log and settings.log_format == "text" else None,
        "errorlog": "-",
        "logger_class": "blogroll.server.JsonLogger"
        if settings.log_format == "json"
        else "blogroll.server.StdoutLogger",
        "loglevel": settings.log_level.lower(),
        # Forwarded headers are handled by the app's ProxyFix, which trusts an exact number of hops.
        "forwarded_allow_ips": "",
        "proc_name": "blogroll",
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "limit_request_field_size": 8190,
        # gunicorn 25.1+ opens a control socket at one fixed path in $HOME by default: two servers on
        # one machine would fight over it, and a read-only container home cannot hold it.
        "control_socket_disable": True,
        "post_worker_init": freeze_start_up_heap,
        # So that an answer leaving the body unread can have gunicorn close the connection.
        "pre_request": unread_bodies.remember_request,
        "post_request": unread_bodies.forget_request,
    }
