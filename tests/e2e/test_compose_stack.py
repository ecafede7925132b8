"""The production stack (compose.yaml), on PostgreSQL and on MariaDB, only through the proxy.

One stack per database serves every test of that database; the tests run in file order, and the
ones that stop the stack (persistence, `down -v`) come last.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from packaging.markers import Marker

from blogroll import __version__
from blogroll.errors import BODY_TOO_LARGE
from tests.helpers.compose_stack import (
    FIXTURE_FEED_URL,
    FIXTURE_TITLES,
    GREETING,
    IMAGE,
    ROOT,
    Stack,
    production_files,
    record_timing,
    running_stack,
)
from tests.helpers.http_clients import CLIENTS, MB, blank, post_then_get, streamed
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.e2e

RUNNING_SERVICES = ["db", "web", "worker", "proxy", "feeds"]
ONE_SHOT_SERVICES = ["secrets", "migrate"]


@pytest.fixture(scope="module", params=["postgresql", "mariadb"])
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    variant: str = request.param
    with running_stack(
        f"blogroll-e2e-{variant}", production_files(variant), label=f"{variant} stack"
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def token(stack: Stack) -> str:
    return stack.create_token("e2e")


@pytest.fixture(scope="module")
def fixture_blog(stack: Stack, token: str) -> dict[str, Any]:
    """The fixture blog added through the API, once the worker has stored its three entries."""
    response = stack.http.post(
        "/api/v1/blogs",
        json={"name": "Fixture Blog", "feed_url": FIXTURE_FEED_URL, "site_url": "http://feeds:8080/"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    blog: dict[str, Any] = response.json()
    started = time.monotonic()
    wait_until(
        lambda: len(entry_titles(stack)) == len(FIXTURE_TITLES),
        timeout=90,
        what="the worker to fetch the fixture feed",
    )
    seconds = time.monotonic() - started
    record_timing(f"{stack.project}: the worker stored the fixture entries {seconds:.1f} s after the POST")
    return blog


def entry_titles(stack: Stack) -> list[str]:
    response = stack.http.get("/api/v1/entries")
    response.raise_for_status()
    return [item["title"] for item in response.json()["items"]]


def blogs_and_entries(stack: Stack) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """What must survive a restart: every blog and every entry, compared exactly."""
    blogs = stack.http.get("/api/v1/blogs").json()["items"]
    entries = stack.http.get("/api/v1/entries").json()["items"]
    return (
        [(blog["id"], blog["name"], blog["feed_url"], blog["site_url"]) for blog in blogs],
        [(e["id"], e["blog_id"], e["title"], e["link"], e["published_at"]) for e in entries],
    )


def secret_values(stack: Stack) -> list[str]:
    """The generated secrets, read where the app reads them."""
    names = stack.exec("web", "ls", "/run/secrets").split()
    assert "db_password" in names
    values = [stack.exec("web", "cat", f"/run/secrets/{name}").strip() for name in names]
    assert all(len(value) >= 32 for value in values), "secrets must be long random values"
    return values


# --- Served through the proxy ------------------------------------------------------------------


def test_the_hello_json_answers_through_the_proxy(stack: Stack) -> None:
    response = stack.http.get("/api/v1/")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"message": GREETING, "version": __version__}


def test_the_home_page_shows_the_greeting(stack: Stack) -> None:
    response = stack.http.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert GREETING in response.text


def test_the_proxy_adds_security_headers_and_hides_its_version(stack: Stack) -> None:
    response = stack.http.get("/", headers={"Accept-Encoding": "gzip"})

    assert response.headers["server"] == "nginx"
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]


def test_the_proxy_refuses_bodies_over_the_limit(stack: Stack) -> None:
    response = stack.http.post("/api/v1/blogs", content=b"x" * (3 * 1024 * 1024))

    assert response.status_code == 413


@pytest.mark.parametrize("body", ["3 MB", "20 MB", "3 MB chunked"])
@pytest.mark.parametrize("client", CLIENTS)
def test_every_client_reads_the_proxy_s_413_and_goes_on(stack: Stack, client: str, body: str) -> None:
    """nginx answers at once and reads the rest (lingering_*), so a client that sends its whole body
    first still reads the 413, the app's JSON, and its next request is served."""
    size = int(body.split()[0]) * MB
    sent = streamed(size) if body.endswith("chunked") else blank(size)
    headers = {"Content-Type": "application/json"}

    answer = post_then_get(client, stack.url("/api/v1/blogs"), sent, headers, stack.url("/api/v1/"))

    assert answer.status == 413, answer.body[:300]
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"error": "payload_too_large", "message": BODY_TOO_LARGE, "details": None}
    assert answer.headers["connection"] == "close"
    assert answer.then == 200


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
@pytest.mark.parametrize("client", CLIENTS)
def test_every_client_reads_a_401_sent_before_the_app_read_the_body(
    stack: Stack, client: str, chunked: bool
) -> None:
    """nginx hands the app the whole body (1.5 MB, under both limits); the app answers before reading
    it and drops it, so nginx relays the 401 rather than failing to send the body (a 502, shown as 503)."""
    size = 3 * MB // 2
    sent = streamed(size) if chunked else blank(size)
    headers = {"Content-Type": "application/json"}

    answer = post_then_get(client, stack.url("/api/v1/blogs"), sent, headers, stack.url("/api/v1/"))

    assert answer.status == 401, answer.body[:300]
    assert answer.json()["error"] == "unauthorized"
    assert answer.then == 200


def test_the_app_sees_the_client_s_host_and_port_through_the_proxy(stack: Stack) -> None:
    response = stack.http.get("/feed.atom")

    assert response.status_code == 200
    assert f'href="http://127.0.0.1:{stack.port}/"' in response.text


def test_the_request_id_of_the_proxy_reaches_the_app(stack: Stack) -> None:
    response = stack.http.get("/healthz")
    request_id = response.headers["x-request-id"]

    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    wait_until(
        lambda: f"id={request_id}" in stack.compose("logs", "--no-color", "proxy").stdout,
        timeout=10,
        what="the proxy's access log line",
    )


# --- A blog, its token, and the worker ----------------------------------------------------------


def test_writes_without_a_token_are_refused(stack: Stack) -> None:
    response = stack.http.post(
        "/api/v1/blogs", json={"name": "Nope", "feed_url": "https://example.org/feed.xml"}
    )

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_a_blog_added_with_a_token_is_listed(stack: Stack, fixture_blog: dict[str, Any]) -> None:
    listed = stack.http.get("/api/v1/blogs").json()["items"]

    assert [(blog["id"], blog["name"], blog["feed_url"]) for blog in listed] == [
        (fixture_blog["id"], "Fixture Blog", FIXTURE_FEED_URL)
    ]


def test_the_worker_stores_the_fixture_feed_s_entries(stack: Stack, fixture_blog: dict[str, Any]) -> None:
    entries = stack.http.get("/api/v1/entries").json()["items"]

    assert [entry["title"] for entry in entries] == FIXTURE_TITLES
    assert {entry["blog_id"] for entry in entries} == {fixture_blog["id"]}
    assert [entry["link"] for entry in entries] == [
        "http://feeds:8080/posts/3",
        "http://feeds:8080/posts/2",
        "http://feeds:8080/posts/1",
    ]
    fetch = stack.http.get(f"/api/v1/blogs/{fixture_blog['id']}").json()["fetch"]
    assert (fetch["last_status"], fetch["last_error"], fetch["consecutive_errors"]) == (200, None, 0)


def test_the_entries_appear_on_the_home_page(stack: Stack, fixture_blog: dict[str, Any]) -> None:
    page = stack.http.get("/").text

    positions = [page.index(title) for title in FIXTURE_TITLES]
    assert positions == sorted(positions), "newest first"
    assert "Fixture Blog" in page


# --- The proxy's micro-cache (deploy/nginx/blogroll.conf) ------------------------------------------


# What nginx's $upstream_cache_status may say for an anonymous read.
CACHE_STATUSES = {"MISS", "EXPIRED", "REVALIDATED", "HIT", "UPDATING"}


def cache_status(response: Any) -> str | None:
    value = response.headers.get("x-cache-status")
    return str(value) if value is not None else None


def test_anonymous_reads_of_pages_and_api_are_micro_cached(
    stack: Stack, fixture_blog: dict[str, Any]
) -> None:
    for path in ("/", f"/blogs/{fixture_blog['id']}", "/feed.atom", "/api/v1/blogs", "/api/v1/entries"):
        statuses = []
        # A repeat within the same second is a HIT; one that straddles the end of the second finds
        # the answer expired, so try a few pairs.
        for _ in range(5):
            first = stack.http.get(path)
            second = stack.http.get(path)
            assert (first.status_code, second.status_code) == (200, 200), path
            statuses.append((cache_status(first), cache_status(second)))
            if cache_status(second) == "HIT":
                assert second.content == first.content, path
                break
        assert statuses[-1][1] == "HIT", (path, statuses)
        assert {status for pair in statuses for status in pair} <= CACHE_STATUSES, (path, statuses)


def test_a_write_through_the_api_shows_in_cached_reads_within_about_a_second(
    stack: Stack, token: str, fixture_blog: dict[str, Any]
) -> None:
    url = f"/api/v1/blogs/{fixture_blog['id']}"
    headers = {"Authorization": f"Bearer {token}"}
    delays = []
    for number in range(3):
        # Warm the cache with the old answer, then change the blog while it is cached.
        wait_until(
            lambda: cache_status(stack.http.get(url)) == "HIT", timeout=5, what="a cached answer", every=0.05
        )
        description = f"cached write {number} {time.time()}"
        changed = stack.http.patch(url, json={"description": description}, headers=headers)
        written = time.monotonic()
        assert changed.status_code == 200, changed.text

        # A request with the token never sees the cache: the change shows at once.
        authorized = stack.http.get(url, headers=headers)
        assert authorized.json()["description"] == description
        assert cache_status(authorized) == "BYPASS"

        # Anonymous readers see it once the cached answer expires: the app lets the proxy keep an
        # answer until the end of the second it was made in (X-Accel-Expires), so at most 1 s.
        def visible(expected: str = description) -> bool:
            return bool(stack.http.get(url).json()["description"] == expected)

        wait_until(
            visible,
            timeout=10,
            what="the change to reach anonymous readers",
            every=0.05,
        )
        delays.append(time.monotonic() - written)
        time.sleep(0.3 * number)  # a different phase of nginx's clock each time
    record_timing(
        f"{stack.project}: a write reached cached anonymous reads after "
        + ", ".join(f"{delay:.2f}" for delay in delays)
        + " s"
    )
    # 1 s, plus one refresh by the app and the 50 ms between two polls, on a busy machine.
    assert max(delays) <= 1.5, delays


def test_requests_with_a_token_or_a_cookie_are_neither_served_from_nor_stored_in_the_cache(
    stack: Stack, token: str
) -> None:
    # A URL nobody has asked for anonymously yet, so only these requests could have cached it.
    for number, headers in enumerate(({"Authorization": f"Bearer {token}"}, {"Cookie": "session=abc"})):
        path = f"/api/v1/blogs?limit={11 + number}"
        for _ in range(2):
            response = stack.http.get(path, headers=headers)
            assert response.status_code == 200
            assert cache_status(response) == "BYPASS", response.headers
        # Nothing was stored for the anonymous readers who come next.
        assert cache_status(stack.http.get(path)) == "MISS"


def test_errors_and_probes_are_never_cached(stack: Stack) -> None:
    for _ in range(3):
        missing = stack.http.get("/api/v1/blogs/987654")
        assert missing.status_code == 404
        assert cache_status(missing) != "HIT", missing.headers
        page = stack.http.get("/no/such/page")
        assert page.status_code == 404
        assert cache_status(page) != "HIT", page.headers
        for probe in ("/healthz", "/readyz"):
            response = stack.http.get(probe)
            assert response.status_code == 200
            assert cache_status(response) is None, (probe, response.headers)


def test_the_admin_pages_work_through_the_proxy_and_are_never_cached(stack: Stack) -> None:
    """The README's way to make an account, then a browser's sign-in through nginx: no admin answer is
    stored or served by the micro-cache, with or without a cookie."""
    password = "a passphrase for the e2e keeper"
    stack.exec("web", "blogroll", "users", "create", "e2e-keeper", "--password-stdin", input=password + "\n")
    with httpx.Client(base_url=stack.url(""), timeout=15, trust_env=False) as browser:
        for _ in range(3):
            form = browser.get("/admin/login")
            assert form.status_code == 200
            assert form.headers["cache-control"] == "no-store"
            assert cache_status(form) is None, form.headers
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text)
        assert token, form.text
        signed_in = browser.post(
            "/admin/login", data={"csrf_token": token.group(1), "name": "e2e-keeper", "password": password}
        )
        assert signed_in.status_code == 302, signed_in.text
        for _ in range(3):
            table = browser.get("/admin/")
            assert table.status_code == 200
            assert "Signed in as e2e-keeper" in table.text
            assert cache_status(table) is None, table.headers
            # Right after, a stranger without the cookie is sent to sign in: nothing was cached.
            stranger = stack.http.get("/admin/")
            assert stranger.status_code == 302
            assert stranger.headers["location"].startswith("/admin/login")


def test_metrics_are_scraped_inside_the_stack_and_never_served_by_the_proxy(stack: Stack) -> None:
    outside = stack.http.get("/metrics")
    assert outside.status_code == 404
    assert "blogroll_http_requests" not in outside.text
    stack.http.get("/api/v1/blogs")
    scrape = "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8000/metrics').read().decode())"
    inside = stack.exec("web", "python", "-c", scrape)
    # Both gunicorn processes' counts, summed (multiprocess mode), and the blogs counted at the scrape.
    assert 'blogroll_http_requests_total{method="GET",route="/api/v1/blogs",status="200"}' in inside
    assert "blogroll_http_request_duration_seconds_bucket" in inside
    assert 'blogroll_blogs{state="due"}' in inside


# --- Languages ------------------------------------------------------------------------------------

# What each language's home page says, to tell them apart.
LATEST = {"en": "Latest posts", "es": "Últimas entradas"}


def page_language(response: Any) -> str:
    """The language a page is in, from what it says (its lang attribute, header and heading agree)."""
    declared = re.search(r'<html lang="(\w+)">', response.text)
    assert declared, response.text[:200]
    language = declared.group(1)
    assert response.headers["content-language"] == language
    assert LATEST[language] in response.text
    return language


# Accept-Language and cookie combinations, and the language each must be answered in.
LANGUAGE_REQUESTS = [
    ({"Accept-Language": "es"}, "es"),
    ({"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}, "es"),
    ({"Accept-Language": "fr, es;q=0.5"}, "es"),
    ({"Accept-Language": "en-US,en;q=0.9"}, "en"),
    ({"Accept-Language": "fr, de;q=0.5"}, "en"),
    ({}, "en"),
    ({"Cookie": "blogroll_lang=es", "Accept-Language": "en"}, "es"),
    ({"Cookie": "blogroll_lang=en", "Accept-Language": "es"}, "en"),
]


def test_each_language_is_cached_once_and_never_mixed(stack: Stack, fixture_blog: dict[str, Any]) -> None:
    """Through nginx's micro-cache: every request gets its own language, and a second request in the
    same language (however it asked) is a HIT: one copy per language, not per raw header."""
    for path in ("/", f"/blogs/{fixture_blog['id']}"):
        statuses: dict[int, list[str | None]] = {}
        for _ in range(6):
            # Interleaved, so a copy of one language would show up under another at once.
            for number, (headers, expected) in enumerate(LANGUAGE_REQUESTS):
                response = stack.http.get(path, headers=headers)
                assert response.status_code == 200, (path, headers)
                assert re.search(rf'<html lang="{expected}">', response.text), (path, headers)
                assert response.headers["content-language"] == expected, (path, headers)
                statuses.setdefault(number, []).append(cache_status(response))
        for number, seen in statuses.items():
            assert "HIT" in seen, (path, LANGUAGE_REQUESTS[number], seen)
            assert set(seen) <= CACHE_STATUSES, seen
    for headers, expected in LANGUAGE_REQUESTS:
        assert page_language(stack.http.get("/", headers=headers)) == expected, headers


def test_a_second_request_in_a_language_is_a_hit_however_it_asked(stack: Stack) -> None:
    pairs = []
    for _ in range(5):
        first = stack.http.get("/", headers={"Accept-Language": "es"})
        second = stack.http.get("/", headers={"Accept-Language": "es-AR, es;q=0.9, fr;q=0.1"})
        third = stack.http.get("/", headers={"Cookie": "blogroll_lang=es"})
        pairs.append((cache_status(first), cache_status(second), cache_status(third)))
        assert [page_language(r) for r in (first, second, third)] == ["es", "es", "es"]
        if pairs[-1][1:] == ("HIT", "HIT"):
            break
    assert pairs[-1][1:] == ("HIT", "HIT"), pairs


def test_a_session_cookie_still_bypasses_the_cache_whatever_the_language(stack: Stack) -> None:
    for cookie, expected in (
        ("blogroll_lang=es; blogroll_session=abc", "es"),
        ("blogroll_session=abc; blogroll_lang=es", "es"),
        ("blogroll_session=abc", "en"),
    ):
        for _ in range(2):
            response = stack.http.get("/", headers={"Cookie": cookie})
            assert cache_status(response) == "BYPASS", (cookie, response.headers)
            assert page_language(response) == expected


def test_the_language_link_sets_the_cookie_and_is_never_stored_with_it(stack: Stack) -> None:
    path = f"/?lang=es&e2e={time.time()}"  # an address nobody asked for yet
    for _ in range(3):
        # A new client each time, without the cookie the last answer set (stack.http would keep it).
        chosen = httpx.get(stack.url(path), timeout=15, trust_env=False)
        assert page_language(chosen) == "es"
        assert chosen.headers["set-cookie"].startswith("blogroll_lang=es;"), chosen.headers
        assert cache_status(chosen) != "HIT", chosen.headers
    # With the cookie already set, the same link sets nothing and is cached like any page.
    statuses = [cache_status(stack.http.get(path, headers={"Cookie": "blogroll_lang=es"})) for _ in range(5)]
    assert "HIT" in statuses, statuses


def test_api_errors_stay_english_through_the_proxy(stack: Stack) -> None:
    response = stack.http.get("/api/v1/blogs/987654", headers={"Accept-Language": "es"})
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert response.json()["message"] == "there is no blog with id 987654"
    assert "content-language" not in response.headers


def test_the_image_keeps_only_the_locale_data_it_serves(stack: Stack) -> None:
    """The Dockerfile strips Babel's locale data to English, Spanish and their root (and the data's
    license): those still load."""
    output = stack.exec(
        "web", "python", "-c",
        "import os, babel\n"
        "from babel import Locale\n"
        "from babel.dates import format_date\n"
        "import datetime as dt\n"
        "print(Locale.parse('es').get_display_name('es'), Locale.parse('en').get_display_name('en'))\n"
        "print(format_date(dt.date(2026, 3, 1), 'long', locale='es'))\n"
        "print(' '.join(sorted(os.listdir(os.path.join(os.path.dirname(babel.__file__), 'locale-data')))))",
    )  # fmt: skip
    assert output.splitlines() == [
        "español English",
        "1 de marzo de 2026",
        "LICENSE.unicode en.dat es.dat root.dat",
    ]


# --- Hardening ------------------------------------------------------------------------------------


def test_only_the_proxy_is_published_and_only_on_127_0_0_1(stack: Stack) -> None:
    published = {
        service: {
            port: [(binding["HostIp"], binding["HostPort"]) for binding in bindings or []]
            for port, bindings in (info["HostConfig"]["PortBindings"] or {}).items()
        }
        for service, info in stack.inspect().items()
    }

    assert published["proxy"] == {"8080/tcp": [("127.0.0.1", str(stack.port))]}
    assert {service: ports for service, ports in published.items() if service != "proxy"} == {
        service: {} for service in published if service != "proxy"
    }
    assert stack.compose("port", "db", "5432", check=False).returncode != 0


def test_the_database_is_unreachable_from_the_proxy(stack: Stack) -> None:
    networks = {
        service: sorted(name.split("_", 1)[1] for name in info["NetworkSettings"]["Networks"])
        for service, info in stack.inspect().items()
        if service in RUNNING_SERVICES
    }

    assert networks == {
        "proxy": ["front"],
        "web": ["back", "front"],
        "worker": ["back", "egress"],
        "db": ["back"],
        "feeds": ["back"],
    }
    lookup = stack.compose("exec", "-T", "proxy", "getent", "hosts", "db", check=False)
    assert lookup.returncode != 0, f"the proxy can resolve the database: {lookup.stdout}"


def test_every_process_of_every_container_runs_as_non_root(stack: Stack) -> None:
    containers = stack.inspect()
    assert sorted(containers) == sorted(RUNNING_SERVICES + ONE_SHOT_SERVICES)

    for service, info in containers.items():
        user = info["Config"]["User"]
        assert user and user.split(":")[0] not in ("0", "root"), f"{service} runs as {user!r}"
        if service in ONE_SHOT_SERVICES:
            assert info["State"]["Status"] == "exited"
            assert info["State"]["ExitCode"] == 0
            continue
        top = stack.compose("top", service).stdout
        uids = {line.split()[2] for line in top.splitlines()[1:] if line.strip()} - {"UID"}
        assert uids and not uids & {"0", "root"}, f"{service} has processes of {uids}:\n{top}"


def test_every_container_is_read_only_without_capabilities(stack: Stack) -> None:
    for service, info in stack.inspect().items():
        host = info["HostConfig"]
        assert host["ReadonlyRootfs"] is True, service
        assert host["CapDrop"] == ["ALL"], service
        assert not host["CapAdd"], service
        assert "no-new-privileges:true" in host["SecurityOpt"], service
        assert info["HostConfig"]["Init"] is True, service

    for service in ("web", "worker"):
        attempt = stack.compose("exec", "-T", service, "touch", "/app/probe", check=False)
        assert attempt.returncode != 0
        assert "Read-only file system" in attempt.stderr


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_image_holds_exactly_the_locked_packages(stack: Stack) -> None:
    """The runtime venv has the versions uv.lock pins (requirements.txt is exported from it)."""
    listing = stack.compose(
        "exec", "-T", "web", "python", "-c",
        "import importlib.metadata as m\n"
        "for d in m.distributions(): print(d.metadata['Name'], d.version, sep='==')",
    ).stdout  # fmt: skip
    installed = {
        _normalized(name): version for name, version in (line.split("==") for line in listing.split())
    }
    # Requirement lines may carry environment markers; the image is Linux/CPython, like this machine.
    locked = {
        _normalized(name): version
        for name, version, marker in re.findall(
            r"^([A-Za-z0-9._-]+)==(\S+)(?: ; (.*))?$", (ROOT / "requirements.txt").read_text(), re.M
        )
        if not marker or Marker(marker).evaluate()
    }

    assert installed.pop("blogroll") == __version__
    assert installed == locked


def test_no_secret_appears_in_inspect_output_or_logs(stack: Stack, token: str) -> None:
    # Let every service log something with the token in play first.
    assert stack.http.get("/api/v1/blogs", headers={"Authorization": f"Bearer {token}"}).is_success
    secrets = [*secret_values(stack), token]
    inspect_output = subprocess.run(
        ["docker", "inspect", *stack.container_ids()], capture_output=True, text=True, check=True
    ).stdout
    image_output = subprocess.run(
        ["docker", "image", "history", "--no-trunc", f"{IMAGE}:latest"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    logs = stack.logs()

    for secret in secrets:
        assert secret not in inspect_output
        assert secret not in image_output
        assert secret not in logs


# --- Data: kept by `down`, removed by `down -v` (these stop the stack: keep them last) -----------


def test_down_then_up_keeps_every_blog_and_entry(
    stack: Stack, fixture_blog: dict[str, Any], token: str
) -> None:
    before = blogs_and_entries(stack)
    assert len(before[0]) == 1 and len(before[1]) == len(FIXTURE_TITLES)

    stack.down(volumes=False)
    seconds = stack.up()
    record_timing(f"{stack.project}: `up --wait` after `down` (warm) took {seconds:.1f} s")

    assert blogs_and_entries(stack) == before
    assert stack.http.get("/api/v1/blogs", headers={"Authorization": f"Bearer {token}"}).is_success


def test_down_with_volumes_deletes_every_blog_and_entry(stack: Stack, token: str) -> None:
    assert stack.volumes(), "the stack should have named volumes before `down -v`"

    stack.down(volumes=True)
    assert stack.volumes() == []
    stack.up()

    assert blogs_and_entries(stack) == ([], [])
    # The old token went with the database, and new secrets were generated.
    response = stack.http.post(
        "/api/v1/blogs",
        json={"name": "After", "feed_url": "https://example.org/feed.xml"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
