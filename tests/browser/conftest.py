"""Browser fixtures: the app in a real HTTP server on a SQLite file, headless Chromium (Debian's
package) driven by Playwright, and pages that fail the test on any console error or failed request."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from blogroll import create_app
from blogroll.config import Settings
from blogroll.storage import users
from blogroll.storage.db import Database, get_database, make_engine
from tests.admin.forms import PASSWORD
from tests.helpers.prerequisites import require

from .chromium import CHROMIUM, CHROMIUM_ARGS, DESKTOP, TIMEOUT_MS
from .words import ENGLISH, Words

GREETING = "Hello from the browser test!"
NAME = "keeper"

NGINX_CONF = Path(__file__).parents[2] / "deploy" / "nginx" / "blogroll.conf"


def _proxy_headers() -> list[tuple[str, str]]:
    """The security headers nginx adds to every answer (its CSP forbids inline scripts and styles), read
    from its configuration, so a page that breaks the policy shows a console error here too."""
    text = NGINX_CONF.read_text()
    return re.findall(r'^\s*add_header ([\w-]+) "([^"]*)" always;', text, flags=re.MULTILINE)


def _with_headers(app: Callable[..., Iterable[bytes]], headers: list[tuple[str, str]]) -> Callable[..., Any]:
    """A WSGI app answering as `app` does, with `headers` added as the proxy would."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, response_headers: list[tuple[str, str]], *args: Any) -> Any:
            return start_response(status, [*response_headers, *headers], *args)

        return app(environ, start)

    return wrapped


@pytest.fixture
def live_server(sqlite_settings: Settings) -> Iterator[str]:
    """The app in a real threaded HTTP server on a free port, behind the proxy's headers; yields its URL."""
    # Private addresses allowed: the OPML import's fixture server is on 127.0.0.1.
    app = create_app(sqlite_settings.model_copy(update={"greeting": GREETING, "allow_private_feeds": True}))
    server = make_server("127.0.0.1", 0, _with_headers(app, _proxy_headers()), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    get_database(app).engine.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    require(CHROMIUM is not None, "the browser test needs Chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """`open_page(url, viewport)`: a fresh page; any failed request or console error fails the test,
    except the answers in `allow` ({url: status}) that the test provokes on purpose. `locale` is the
    browser's language (its Accept-Language and navigator.language); Playwright's default is en-US."""
    contexts: list[Any] = []
    problems: list[str] = []

    def open_(
        url: str,
        viewport: dict[str, int] = DESKTOP,
        status: int = 200,
        dark: bool = False,
        allow: dict[str, int] | None = None,
        locale: str | None = None,
    ) -> Any:
        options = {"locale": locale} if locale else {}
        context = browser.new_context(viewport=viewport, color_scheme="dark" if dark else "light", **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        expected = allow or {}

        # Failed requests are checked by their responses (the 404 page's own 404 is expected).
        def console_error(message: Any) -> None:
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                problems.append(message.text)

        def failed_response(response: Any) -> None:
            provoked = response.url == url or expected.get(response.url) == response.status
            if response.status >= 400 and not provoked:
                problems.append(f"{response.status} {response.url}")

        page.on("console", console_error)
        page.on("response", failed_response)
        response = page.goto(url)
        assert response is not None
        assert response.status == status
        return page

    yield open_
    for context in contexts:
        context.close()
    assert problems == []


@pytest.fixture
def keeper(sqlite_settings: Settings) -> str:
    """A keeper's account, made through storage as `blogroll users create` makes it; yields the name."""
    database = Database(make_engine(sqlite_settings))
    with database.transaction() as session:
        users.create_user(session, NAME, PASSWORD)
    database.engine.dispose()
    return NAME


@pytest.fixture
def words() -> Words:
    """The language the browser asks for and the pages' words in it: English unless a test
    parametrizes `words` over tests/browser/words.py's LANGUAGES."""
    return ENGLISH


@pytest.fixture
def sign_in(live_server: str, keeper: str, open_page: Callable[..., Any], words: Words) -> Callable[..., Any]:
    """`sign_in(viewport)`: a fresh page in `words`' language (the browser's locale), signed in
    through the form, on the blog table (`allow` as for `open_page`)."""

    def sign_in_(viewport: dict[str, int] = DESKTOP, allow: dict[str, int] | None = None) -> Any:
        page = open_page(live_server + "/admin/", viewport=viewport, allow=allow, locale=words.locale)
        words.check_lang(page)
        page.get_by_label(words("User name")).fill(keeper)
        page.get_by_label(words("Password")).fill(PASSWORD)
        page.get_by_role("button", name=words("Sign in")).click()
        page.wait_for_url(live_server + "/admin/")
        words.check_lang(page)
        return page

    return sign_in_
