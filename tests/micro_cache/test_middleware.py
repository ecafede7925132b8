"""The micro-cache middleware on its own: what it keeps, for whom, how long, and within what bounds."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from blogroll.micro_cache import MicroCache
from tests.helpers.wsgi import Clock as FakeClock
from tests.helpers.wsgi import CountingApp, call


def cached(app: CountingApp, clock: FakeClock | None = None, **bounds: int) -> MicroCache:
    clock = clock or FakeClock()
    return MicroCache(
        app,
        max_bytes=bounds.get("max_bytes", 1024 * 1024),
        max_entries=bounds.get("max_entries", 100),
        clock=clock,
        wall_clock=clock,
    )


def test_a_second_read_is_answered_from_the_copy() -> None:
    app = CountingApp()
    cache = cached(app)
    first = call(cache, "/blogs")
    second = call(cache, "/blogs")
    assert (first.status, first.headers["x-cache-status"], first.body) == (200, "MISS", b"hello")
    assert (second.status, second.headers["x-cache-status"], second.body) == (200, "HIT", b"hello")
    assert second.headers["etag"] == '"v1"'
    assert app.count == 1


def test_the_apps_expiry_header_is_obeyed_and_never_shown() -> None:
    clock = FakeClock(1000.5)
    app = CountingApp(wall=clock)
    cache = cached(app, clock)
    assert "x-accel-expires" not in call(cache).headers
    # `@1000`: kept until that second ends, half a second from now.
    clock.now = 1000.9
    assert call(cache).headers["x-cache-status"] == "HIT"
    clock.now = 1001.0
    assert call(cache).headers["x-cache-status"] == "REVALIDATED"
    assert "x-accel-expires" not in call(cache).headers


def test_head_shares_the_copy_of_get() -> None:
    app = CountingApp()
    cache = cached(app)
    head = call(cache, "/", method="HEAD")
    assert (head.headers["x-cache-status"], head.body) == ("MISS", b"")
    assert app.asked[0]["REQUEST_METHOD"] == "GET"
    get = call(cache, "/")
    assert (get.headers["x-cache-status"], get.body) == ("HIT", b"hello")
    assert call(cache, "/", method="HEAD").body == b""
    assert app.count == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Cookie": "blogroll_session=abc"},
        {"Cookie": "blogroll_lang=es; blogroll_session=abc"},
        {"Cookie": "tracking=1"},
        {"Authorization": "Bearer token"},
    ],
)
def test_credentials_or_cookies_bypass_the_cache(headers: dict[str, str]) -> None:
    app = CountingApp()
    cache = cached(app)
    call(cache, "/")
    for _ in range(2):
        answer = call(cache, "/", **headers)
        assert answer.headers["x-cache-status"] == "BYPASS"
        assert "x-accel-expires" not in answer.headers
    assert app.count == 3
    # What they were answered was not kept for anyone either.
    assert call(cache, "/").headers["x-cache-status"] == "HIT"


def test_writes_go_straight_to_the_app() -> None:
    app = CountingApp()
    cache = cached(app)
    call(cache, "/api/v1/blogs")
    answer = call(cache, "/api/v1/blogs", method="POST")
    assert "x-cache-status" not in answer.headers
    assert app.count == 2


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"path": "/?page=1"}, {"path": "/?page=2"}),
        ({"path": "/a"}, {"path": "/b"}),
        ({"Host": "one.example"}, {"Host": "two.example"}),
        ({"X_Forwarded_Proto": "http"}, {"X_Forwarded_Proto": "https"}),
        ({"X_Forwarded_Host": "one.example"}, {"X_Forwarded_Host": "two.example"}),
        ({"Accept_Language": "en"}, {"Accept_Language": "es"}),
        ({"path": "/?lang=en"}, {"path": "/?lang=es"}),
        ({"Cookie": "blogroll_lang=en"}, {"Cookie": "blogroll_lang=es"}),
    ],
)
def test_each_address_host_and_language_has_its_own_copy(
    first: dict[str, str], second: dict[str, str]
) -> None:
    app = CountingApp()
    cache = cached(app)
    assert call(cache, first.pop("path", "/"), **first).headers["x-cache-status"] == "MISS"
    assert call(cache, second.pop("path", "/"), **second).headers["x-cache-status"] == "MISS"
    assert app.count == 2


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"Accept_Language": "es"}, {"Accept_Language": "es-ES,es;q=0.9,en;q=0.8"}),
        ({"Accept_Language": "en"}, {}),
        ({"Accept_Language": "fr"}, {"Accept_Language": "de, en;q=0.5"}),
        ({"Accept_Language": "es"}, {"Cookie": "blogroll_lang=es"}),
    ],
)
def test_requests_answered_in_the_same_language_share_a_copy(
    first: dict[str, str], second: dict[str, str]
) -> None:
    app = CountingApp()
    cache = cached(app)
    call(cache, "/", **first)
    assert call(cache, "/", **second).headers["x-cache-status"] == "HIT"
    assert app.count == 1


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        ("404 NOT FOUND", [("Cache-Control", "public, s-maxage=1")]),
        ("500 INTERNAL SERVER ERROR", [("Cache-Control", "public, s-maxage=1")]),
        ("200 OK", [("Cache-Control", "public, s-maxage=1"), ("Set-Cookie", "blogroll_lang=es")]),
        ("200 OK", [("Cache-Control", "private, s-maxage=1")]),
        ("200 OK", [("Cache-Control", "no-store")]),
        ("200 OK", [("Cache-Control", "public, s-maxage=0")]),
        ("200 OK", [("X-Accel-Expires", "0")]),
        # Nothing says a shared cache may keep it (the probes, /metrics).
        ("200 OK", []),
    ],
)
def test_answers_the_app_does_not_share_are_not_kept(status: str, headers: list[tuple[str, str]]) -> None:
    app = CountingApp(status=status, headers=headers, etag=None)
    cache = cached(app)
    first, second = call(cache, "/"), call(cache, "/")
    assert first.status == second.status == int(status.split()[0])
    assert first.headers["x-cache-status"] == second.headers["x-cache-status"] == "MISS"
    assert app.count == 2


def test_a_big_answer_is_not_kept() -> None:
    app = CountingApp(body=b"x" * 5000)
    cache = cached(app, max_bytes=16 * 4096)
    assert call(cache).body == b"x" * 5000
    assert call(cache).headers["x-cache-status"] == "MISS"
    assert len(cache) == 0


def test_a_matching_if_none_match_gets_a_304_from_the_copy() -> None:
    app = CountingApp()
    cache = cached(app)
    call(cache, "/")
    answer = call(cache, "/", If_None_Match='"v1"')
    assert (answer.status, answer.body, answer.headers["x-cache-status"]) == (304, b"", "HIT")
    assert answer.headers["etag"] == '"v1"'
    assert "content-length" not in answer.headers
    assert call(cache, "/", If_None_Match='"other"').status == 200
    assert call(cache, "/", If_None_Match='W/"v1", "x"').status == 304
    assert app.count == 1


def test_a_first_request_with_if_none_match_is_answered_304_and_fills_the_cache() -> None:
    app = CountingApp()
    cache = cached(app)
    assert call(cache, "/", If_None_Match='"v1"').status == 304
    assert call(cache, "/").body == b"hello"
    assert app.count == 1


def test_a_copy_expires_one_second_after_the_app_was_asked_and_is_revalidated() -> None:
    clock = FakeClock()
    app = CountingApp()
    cache = cached(app, clock)
    call(cache)
    clock.now += 0.999
    assert call(cache).headers["x-cache-status"] == "HIT"
    clock.now += 0.001
    answer = call(cache)
    assert (answer.headers["x-cache-status"], answer.body) == ("REVALIDATED", b"hello")
    # The app was asked whether its copy is still right, not for the page again.
    assert app.asked[-1]["HTTP_IF_NONE_MATCH"] == '"v1"'
    assert app.count == 2
    assert call(cache).headers["x-cache-status"] == "HIT"


def test_a_changed_answer_replaces_the_copy_when_it_expires() -> None:
    clock = FakeClock()
    app = CountingApp()
    cache = cached(app, clock)
    call(cache)
    app.body, app.etag = b"changed", '"v2"'
    assert call(cache).body == b"hello"
    clock.now += 1
    answer = call(cache)
    assert (answer.headers["x-cache-status"], answer.body) == ("EXPIRED", b"changed")
    assert call(cache).body == b"changed"


def test_an_error_on_refresh_is_shown_and_drops_the_copy() -> None:
    clock = FakeClock()
    app = CountingApp()
    cache = cached(app, clock)
    call(cache)
    clock.now += 1
    app.status, app.etag = "503 SERVICE UNAVAILABLE", None
    assert call(cache).status == 503
    assert len(cache) == 0


def test_the_others_get_the_previous_copy_while_one_request_refreshes_it() -> None:
    clock = FakeClock()
    app = CountingApp()
    cache = cached(app, clock)
    call(cache)
    clock.now += 1.5
    app.gate = threading.Event()
    app.body, app.etag = b"changed", '"v2"'
    with ThreadPoolExecutor(1) as pool:
        refreshing = pool.submit(call, cache, "/")
        while app.count < 2:
            threading.Event().wait(0.001)
        others = [call(cache) for _ in range(5)]
        app.gate.set()
        assert refreshing.result().body == b"changed"
    assert {(a.headers["x-cache-status"], a.body) for a in others} == {("UPDATING", b"hello")}
    assert app.count == 2


def test_a_copy_more_than_a_second_past_its_time_is_not_served_while_refreshing() -> None:
    clock = FakeClock()
    app = CountingApp()
    cache = cached(app, clock)
    call(cache)
    clock.now += 2.0
    app.gate = threading.Event()
    app.body, app.etag = b"changed", '"v2"'
    with ThreadPoolExecutor(2) as pool:
        refreshing = pool.submit(call, cache, "/")
        while app.count < 2:
            threading.Event().wait(0.001)
        waiting = pool.submit(call, cache, "/")
        threading.Event().wait(0.05)
        assert not waiting.done()
        app.gate.set()
        assert refreshing.result().body == waiting.result().body == b"changed"
    assert waiting.result().headers["x-cache-status"] == "HIT"
    assert app.count == 2


def test_concurrent_first_requests_ask_the_app_once() -> None:
    app = CountingApp(gate=threading.Event())
    cache = cached(app)
    with ThreadPoolExecutor(8) as pool:
        answers = [pool.submit(call, cache, "/") for _ in range(8)]
        while app.count < 1:
            threading.Event().wait(0.001)
        threading.Event().wait(0.05)
        app.gate.set()
        results = [answer.result() for answer in answers]
    assert {result.body for result in results} == {b"hello"}
    assert sorted(result.headers["x-cache-status"] for result in results) == ["HIT"] * 7 + ["MISS"]
    assert app.count == 1


def test_the_least_recently_used_copy_goes_first() -> None:
    app = CountingApp()
    cache = cached(app, max_entries=2)
    call(cache, "/a")
    call(cache, "/b")
    call(cache, "/a")
    call(cache, "/c")
    assert len(cache) == 2
    assert call(cache, "/a").headers["x-cache-status"] == "HIT"
    assert call(cache, "/b").headers["x-cache-status"] == "MISS"


def test_the_copies_stay_within_the_byte_bound() -> None:
    app = CountingApp(body=b"x" * 1000)
    cache = cached(app, max_bytes=16 * 1024)
    for number in range(40):
        call(cache, f"/{number}")
        assert cache.bytes <= 16 * 1024
    assert 5 <= len(cache) < 16
    assert call(cache, "/39").headers["x-cache-status"] == "HIT"
    assert call(cache, "/0").headers["x-cache-status"] == "MISS"


def test_a_hit_carries_the_clients_request_id_not_the_first_ones() -> None:
    app = CountingApp(headers=[("Cache-Control", "public, s-maxage=1"), ("X-Request-ID", "first-request")])
    cache = cached(app)
    call(cache, X_Request_ID="first-request")
    assert call(cache, X_Request_ID="second-request").headers["x-request-id"] == "second-request"
    assert "x-request-id" not in call(cache).headers
    assert "x-request-id" not in call(cache, X_Request_ID="bad id <script>").headers


def test_answers_are_counted_by_what_the_cache_did() -> None:
    counted: list[str] = []
    clock = FakeClock()
    cache = MicroCache(
        CountingApp(), max_bytes=2**20, max_entries=10, clock=clock, wall_clock=clock, count=counted.append
    )
    call(cache)
    call(cache)
    call(cache, Cookie="blogroll_session=1")
    assert counted == ["MISS", "HIT", "BYPASS"]
