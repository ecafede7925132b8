"""The micro-cache in front of the real app: pages in the reader's language, 304s, settings."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask

from blogroll.micro_cache import MicroCache
from blogroll.server import GunicornServer, wants_micro_cache
from tests.helpers.settings import make_settings
from tests.helpers.wsgi import call


@pytest.fixture
def cache(app: Flask) -> MicroCache:
    """The cache with its clock stopped at the start of this second: copies never expire here, so
    what a test sees does not depend on when in a second it ran."""
    this_second = float(int(time.time()))
    return MicroCache(
        app.wsgi_app, max_bytes=2**22, max_entries=100, clock=lambda: 0.0, wall_clock=lambda: this_second
    )


def test_a_spanish_reader_never_gets_the_english_page(cache: MicroCache, add_blog: Any) -> None:
    add_blog("Example")
    english = call(cache, "/", Accept_Language="en-GB,en;q=0.9")
    spanish = call(cache, "/", Accept_Language="es-ES,es;q=0.9")
    assert b'<html lang="en">' in english.body
    assert b'<html lang="es">' in spanish.body
    assert spanish.headers["x-cache-status"] == "MISS"
    again = call(cache, "/", Accept_Language="es")
    assert (again.headers["x-cache-status"], again.body) == ("HIT", spanish.body)
    assert again.headers["content-language"] == "es"
    assert b'<html lang="es">' in call(cache, "/", Cookie="blogroll_lang=es").body


def test_a_lang_choice_that_sets_its_cookie_is_not_kept(cache: MicroCache) -> None:
    first = call(cache, "/?lang=es")
    assert "set-cookie" in first.headers
    assert call(cache, "/?lang=es").headers["x-cache-status"] == "MISS"
    # Once the cookie says so, the page no longer sets it, and is kept.
    call(cache, "/?lang=es", Cookie="blogroll_lang=es")
    assert call(cache, "/?lang=es", Cookie="blogroll_lang=es").headers["x-cache-status"] == "HIT"


def test_the_apps_etag_gets_a_304_from_the_copy(cache: MicroCache, add_blog: Any) -> None:
    add_blog("Example")
    first = call(cache, "/")
    assert first.status == 200 and first.headers["x-cache-status"] == "MISS"
    assert "x-accel-expires" not in first.headers
    answer = call(cache, "/", If_None_Match=first.headers["etag"])
    assert (answer.status, answer.headers["x-cache-status"]) == (304, "HIT")


def test_the_probes_and_admin_pages_are_never_kept(cache: MicroCache) -> None:
    for path in ("/healthz", "/admin/"):
        call(cache, path)
        assert call(cache, path).headers["x-cache-status"] == "MISS"
    assert len(cache) == 0


@pytest.mark.parametrize(
    ("value", "run", "serve"), [("auto", True, False), ("on", True, True), ("off", False, False)]
)
def test_the_setting_turns_it_on_for_run_and_off_behind_the_proxy(value: str, run: bool, serve: bool) -> None:
    settings = make_settings(micro_cache=value)
    assert wants_micro_cache(settings, behind_proxy=False) is run
    assert wants_micro_cache(settings, behind_proxy=True) is serve


def test_the_server_puts_it_inside_the_unread_bodies_guard(settings: Any, app: Flask) -> None:
    from blogroll import unread_bodies

    server = GunicornServer.__new__(GunicornServer)
    server.settings, server.micro_cache = settings, True
    server.app_factory = lambda _settings: app
    loaded = server.load()
    assert isinstance(loaded.wsgi_app, unread_bodies.DiscardUnreadBodies)
    assert isinstance(loaded.wsgi_app.app, MicroCache)


def test_metrics_count_what_the_cache_did(app: Flask) -> None:
    from blogroll.server import micro_cache_for

    def hits() -> float:
        for line in call(app.wsgi_app, "/metrics").body.decode().splitlines():
            if line.startswith('blogroll_micro_cache_answers_total{status="HIT"}'):
                return float(line.rpartition(" ")[2])
        return 0.0

    before = hits()
    cache = micro_cache_for(app, app.config["BLOGROLL_SETTINGS"])
    # A copy lasts until its second ends: of 20 reads in a row, nearly all are hits.
    answers = [call(cache, "/").headers["x-cache-status"] for _ in range(20)]
    assert hits() - before == answers.count("HIT") > 0
    sizes = call(app.wsgi_app, "/metrics").body.decode()
    assert "blogroll_micro_cache_entries " in sizes and "blogroll_micro_cache_bytes " in sizes
