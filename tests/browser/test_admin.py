"""A keeper at the admin pages with a real browser: headless Chromium driven by Playwright, by the
labels and roles a person reads, on the app in a real HTTP server on a SQLite file of its own.

The sign-in, add-a-blog (by its site's address, with the preview), token and sign-out flows run in
English and in Spanish (the browser's locale en-US or es-ES, so Accept-Language chooses), every text
they click or read from tests/browser/words.py, `<html lang>` checked on each page. The screen-width
check runs in English at phone and desktop width and in Spanish at phone width (its longer words are
what could overflow; Spanish at desktop width would add time for little).

Screenshots of each admin page at phone and desktop widths are saved in the test's tmp folder, for
people to look at.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from blogroll.config import Settings
from blogroll.storage.blogs import KEEPER_PAUSE, NewBlog, create_blog
from blogroll.storage.db import Database, make_engine
from blogroll.storage.models import Blog
from tests.admin.forms import PASSWORD
from tests.discovery.feeds import RSS_TYPE, rss
from tests.discovery.feeds import page as page_with
from tests.helpers.feed_server import FeedServer, Reply

from .chromium import DESKTOP, PHONE
from .words import ENGLISH, LANGUAGE_IDS, LANGUAGES, SPANISH_WORDS, Words

pytestmark = pytest.mark.browser

FEED = "https://notes.example.org/feed.xml"
LINK = '<link rel="alternate" type="application/rss+xml" href="/feed.xml" title="Posts">'
LONG_NAME = "Notes From A Very Long Blog Name That Goes On And On About Everything"
LONG_ERROR = "HTTP 500 from https://broken.example.org/" + "a-very-long-path/" * 8 + "feed.xml"

OpenPage = Callable[..., Any]


def _database(settings: Settings) -> Database:
    return Database(make_engine(settings))


def _row(page: Any, name: str) -> Any:
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))


def _cells(page: Any, name: str) -> list[str]:
    """The texts of a blog's row after its name: tags, last fetch, errors, next fetch, entries."""
    return [text.strip() for text in _row(page, name).get_by_role("cell").all_inner_texts()[:5]]


def _actions(page: Any, name: str) -> list[str]:
    """What a blog's row offers to do, left to right."""
    return list(_row(page, name).locator(".actions").locator("a, button").all_inner_texts())


def _notice(page: Any) -> str:
    return str(page.get_by_role("status").inner_text()).strip()


@pytest.mark.parametrize("words", LANGUAGES, ids=LANGUAGE_IDS)
def test_signed_out_admin_lands_on_the_sign_in_form_and_signs_in(
    live_server: str, keeper: str, open_page: OpenPage, words: Words
) -> None:
    _ = words
    login = live_server + "/admin/login?next=/admin/"
    page = open_page(live_server + "/admin/", allow={login: 401}, locale=words.locale)

    assert page.url == login
    words.check_lang(page)
    assert page.title() == words.admin_title("Sign in")
    assert page.get_by_role("heading", level=1).inner_text() == _("Sign in")
    assert page.get_by_role("navigation", name=_("Admin")).count() == 0
    # The user name field has the focus, ready to type into.
    assert page.evaluate("document.activeElement.id") == "name"

    page.get_by_label(_("User name")).fill(keeper)
    page.get_by_label(_("Password")).fill("not the password")
    page.get_by_role("button", name=_("Sign in")).click()
    words.check_lang(page)
    assert page.get_by_role("alert").inner_text().strip() == _("That user name and password do not match.")
    assert page.get_by_label(_("Password")).input_value() == ""

    page.get_by_label(_("Password")).fill(PASSWORD)
    page.get_by_role("button", name=_("Sign in")).click()
    page.wait_for_url(live_server + "/admin/")
    words.check_lang(page)
    assert page.title() == words.admin_title("Blogs")
    assert page.get_by_role("heading", level=1).inner_text() == f"{_('Blogs')} (0)"
    nav = page.get_by_role("navigation", name=_("Admin"))
    assert nav.get_by_text(_("Signed in as %(name)s", name="keeper")).is_visible()
    assert page.locator("p.empty").inner_text() == f"{_('No blogs yet.')} {_('Add the first one')}."


@pytest.mark.parametrize("words", LANGUAGES, ids=LANGUAGE_IDS)
def test_a_keeper_adds_a_blog_by_its_site_pauses_resumes_fetches_and_removes_it(
    live_server: str,
    sign_in: Callable[..., Any],
    open_page: OpenPage,
    feed_server: FeedServer,
    sqlite_settings: Settings,
    words: Words,
) -> None:
    """The keeper gives the site's address alone: Find feed finds its feed on the fixture site and
    shows it with its latest titles; Save adds it, named by the feed's title."""
    _ = words
    feed = feed_server.route(
        "/feed.xml", Reply(body=rss("Notes", [("Hello", None)]), headers={"Content-Type": RSS_TYPE})
    )
    site = feed_server.route("/", Reply(body=page_with(f"<title>Notes, the site</title>{LINK}")))
    page = sign_in()
    page.get_by_role("navigation", name=_("Admin")).get_by_role("link", name=_("Add a blog")).click()
    words.check_lang(page)
    assert page.get_by_role("heading", level=1).inner_text() == _("Add a blog")
    page.get_by_label(_("Site address")).fill(site)
    page.get_by_label(_("Tags")).fill("Python, web")
    page.get_by_role("button", name=_("Find feed")).click()

    # The same address answers: wait for the found feed's page (its first discovery in the server's
    # process also imports the fetching libraries, which takes a moment).
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Add %(name)s?", name="Notes"))
    words.check_lang(page)
    assert page.get_by_role("link", name=feed).is_visible()
    assert page.locator("#latest-titles li").all_inner_texts() == ["Hello"]
    page.get_by_role("button", name=_("Save")).click()

    page.wait_for_url(live_server + "/admin/")
    words.check_lang(page)
    assert _notice(page) == _("Added %(name)s.", name="Notes")
    assert page.get_by_role("heading", level=1).inner_text() == f"{_('Blogs')} (1)"
    assert _cells(page, "Notes")[:3] == ["python web", _("never"), "0"]
    assert re.fullmatch(words.stamp, _cells(page, "Notes")[3])
    assert _cells(page, "Notes")[4] == "0"
    assert _actions(page, "Notes") == [_("Edit"), _("Pause"), _("Fetch now"), _("Remove")]

    home = open_page(live_server + "/", locale=words.locale)
    words.check_lang(home)
    assert home.locator("aside.blogroll li > a:first-child").all_inner_texts() == ["Notes"]
    assert home.get_by_role("link", name="Notes", exact=True).get_attribute("href") == site

    _row(page, "Notes").get_by_role("button", name=_("Pause")).click()
    words.check_lang(page)
    assert _notice(page) == _("Paused %(name)s.", name="Notes")
    # Stored in English (the API serves it so); the table words Blogroll's own reasons for the reader.
    assert _cells(page, "Notes")[3:] == [_(KEEPER_PAUSE), "0"]
    assert _actions(page, "Notes") == [_("Edit"), _("Resume"), _("Fetch now"), _("Remove")]
    assert _row(page, "Notes").get_attribute("class") == "paused"

    _row(page, "Notes").get_by_role("button", name=_("Resume")).click()
    assert _notice(page) == _("Resumed %(name)s.", name="Notes")
    assert re.fullmatch(words.stamp, _cells(page, "Notes")[3])
    assert _actions(page, "Notes") == [_("Edit"), _("Pause"), _("Fetch now"), _("Remove")]

    _row(page, "Notes").get_by_role("button", name=_("Fetch now")).click()
    words.check_lang(page)
    assert _notice(page) == _("%(name)s will be fetched at the next pass.", name="Notes")
    database = _database(sqlite_settings)
    with database.transaction() as session:
        due = session.scalars(select(Blog.next_fetch_at).where(Blog.feed_url == feed)).one()
    database.engine.dispose()
    assert due.replace(tzinfo=dt.UTC) <= dt.datetime.now(dt.UTC)

    page.get_by_role("link", name=_("Remove %(name)s", name="Notes")).click()
    words.check_lang(page)
    assert page.get_by_role("heading", level=1).inner_text() == _("Remove %(name)s?", name="Notes")
    page.get_by_role("button", name=_("Remove %(name)s", name="Notes")).click()
    page.wait_for_url(live_server + "/admin/")
    words.check_lang(page)
    assert _notice(page) == _("Removed %(name)s.", name="Notes")
    assert page.get_by_role("heading", level=1).inner_text() == f"{_('Blogs')} (0)"
    assert page.get_by_role("row").count() == 0

    home.reload()
    words.check_lang(home)
    assert home.locator("aside.blogroll li").count() == 0


def test_removing_is_asked_first_and_keep_it_keeps_the_blog(
    live_server: str, sign_in: Callable[..., Any], sqlite_settings: Settings
) -> None:
    _seed(sqlite_settings)
    page = sign_in()
    page.get_by_role("link", name="Remove Alpha").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Remove Alpha?"
    page.get_by_role("link", name="Keep it").click()
    page.wait_for_url(live_server + "/admin/")
    assert page.get_by_role("heading", level=1).inner_text() == "Blogs (3)"


@pytest.mark.parametrize("words", LANGUAGES, ids=LANGUAGE_IDS)
def test_an_api_token_is_shown_once_then_listed_and_revoked(
    live_server: str, sign_in: Callable[..., Any], words: Words
) -> None:
    _ = words
    page = sign_in()
    page.get_by_role("link", name=_("API tokens")).click()
    words.check_lang(page)
    assert page.get_by_role("heading", level=1).inner_text() == _("API tokens")
    assert page.locator("p.empty").inner_text() == _("No tokens yet.")

    page.get_by_label(_("Name"), exact=True).fill("laptop")
    page.get_by_role("button", name=_("Create")).click()
    words.check_lang(page)
    token = page.get_by_role("status").locator("code.token").inner_text()
    assert re.fullmatch(r"blr_\S{20,}", token)
    assert page.get_by_role("rowheader").all_inner_texts() == ["laptop"]
    # The form is empty again, ready for another token.
    assert page.get_by_label(_("Name"), exact=True).input_value() == ""

    page.goto(live_server + "/admin/tokens")
    assert page.get_by_role("status").count() == 0
    assert token not in page.content()
    assert page.get_by_role("rowheader").all_inner_texts() == ["laptop"]

    page.get_by_role("button", name=_("Revoke %(name)s", name="laptop")).click()
    page.wait_for_url(live_server + "/admin/tokens")
    words.check_lang(page)
    assert _notice(page) == _("Revoked token %(name)s.", name="laptop")
    assert page.get_by_role("rowheader").count() == 0
    assert page.locator("p.empty").inner_text() == _("No tokens yet.")


@pytest.mark.parametrize("words", LANGUAGES, ids=LANGUAGE_IDS)
def test_after_signing_out_back_and_reload_show_the_sign_in_form(
    live_server: str, sign_in: Callable[..., Any], words: Words
) -> None:
    _ = words
    page = sign_in()
    page.get_by_role("link", name=_("API tokens")).click()
    page.get_by_role("button", name=_("Sign out")).click()
    page.wait_for_url(live_server + "/admin/login")
    words.check_lang(page)
    assert page.get_by_role("heading", level=1).inner_text() == _("Sign in")

    page.go_back()
    assert page.url == live_server + "/admin/login?next=/admin/tokens"
    words.check_lang(page)
    assert page.get_by_role("heading", level=1).inner_text() == _("Sign in")
    assert page.get_by_role("navigation", name=_("Admin")).count() == 0

    page.goto(live_server + "/admin/")
    page.reload()
    assert page.url == live_server + "/admin/login?next=/admin/"
    words.check_lang(page)
    assert page.get_by_role("heading", level=1).inner_text() == _("Sign in")


def _seed(settings: Settings) -> dict[str, int]:
    """Three blogs, one of each kind that could break a narrow table: a long name, a long error, tags."""
    database = _database(settings)
    ids = {}
    with database.transaction() as session:
        for name, tags in [("Alpha", ["python", "web", "gardening"]), (LONG_NAME, []), ("Broken", ["rust"])]:
            slug = name.split()[0].lower()
            blog = create_blog(
                session,
                NewBlog(
                    name=name,
                    feed_url=f"https://{slug}.example.org/feed.xml",
                    site_url=f"https://{slug}.example.org/",
                    description="",
                    tags=tags,
                ),
            )
            ids[name.split()[0]] = blog.id
            if name == "Broken":
                blog.consecutive_errors = 3
                blog.last_error = LONG_ERROR
    database.engine.dispose()
    return ids


def test_keyboard_users_skip_to_the_content(sign_in: Callable[..., Any]) -> None:
    page = sign_in()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    skip = page.get_by_role("link", name="Skip to content").bounding_box()
    assert skip["x"] >= 0 and skip["y"] >= 0  # shown on screen once focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    # The next Tab goes on from the content: the first admin link, past the site's header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Blogs"


# Spanish at the phone's width only: its longer words are what could overflow a narrow screen.
@pytest.mark.parametrize(
    ("viewport", "words"),
    [
        pytest.param(PHONE, ENGLISH, id="phone-en"),
        pytest.param(DESKTOP, ENGLISH, id="desktop-en"),
        pytest.param(PHONE, SPANISH_WORDS, id="phone-es"),
    ],
)
def test_admin_pages_fit_the_screen_without_sideways_scrolling(
    live_server: str,
    sign_in: Callable[..., Any],
    open_page: OpenPage,
    sqlite_settings: Settings,
    viewport: dict[str, int],
    words: Words,
    tmp_path: Path,
) -> None:
    _ = words
    ids = _seed(sqlite_settings)
    width = viewport["width"]

    def check(page: Any, name: str) -> None:
        words.check_lang(page)
        page.screenshot(path=str(tmp_path / f"admin-{name}-{width}-{words.lang}.png"), full_page=True)
        widths = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{name} is {widths[0]}px wide on a {widths[1]}px screen"
        # A wide table scrolls inside its own box, which stays within the screen.
        for box in page.locator(".scroll").all():
            edges = box.bounding_box()
            assert edges["x"] >= 0 and edges["x"] + edges["width"] <= width, name

    login, new = live_server + "/admin/login", live_server + "/admin/blogs/new"
    signed_out = open_page(login, viewport=viewport, allow={login: 422}, locale=words.locale)
    check(signed_out, "sign-in")
    signed_out.get_by_role("button", name=_("Sign in")).click()  # empty fields: errors beside them
    assert signed_out.locator(".errors").count() == 2
    check(signed_out, "sign-in-errors")

    page = sign_in(viewport, allow={new: 422})
    check(page, "blogs")
    page.goto(new)
    check(page, "blog-new")
    page.get_by_label(_("Feed address")).fill("ftp://nowhere.example/feed")
    page.get_by_role("button", name=_("Add"), exact=True).click()
    assert page.locator(".field.invalid").count() >= 1
    check(page, "blog-new-errors")
    page.goto(live_server + f"/admin/blogs/{ids['Notes']}/edit")
    check(page, "blog-edit")
    page.goto(live_server + f"/admin/blogs/{ids['Notes']}/remove")
    check(page, "blog-remove")
    page.goto(live_server + "/admin/tokens")
    page.get_by_label(_("Name"), exact=True).fill("a token for the laptop in the kitchen")
    page.get_by_role("button", name=_("Create")).click()
    check(page, "tokens")


def test_a_spanish_browser_signs_in_and_reads_the_blog_table_in_spanish(
    live_server: str, keeper: str, open_page: OpenPage, sqlite_settings: Settings
) -> None:
    """Chromium set to Spanish (Spain) sends `Accept-Language: es-ES`: the sign-in form, its errors and
    the blog table are in Spanish, found by the labels and roles a Spanish reader sees."""
    database = _database(sqlite_settings)
    with database.transaction() as session:
        create_blog(session, NewBlog(name="Notas", feed_url=FEED, tags=["python"]))
    database.engine.dispose()
    login = live_server + "/admin/login?next=/admin/"
    page = open_page(live_server + "/admin/", allow={login: 401}, locale="es-ES")

    assert page.evaluate("document.documentElement.lang") == "es"
    assert page.title() == "Iniciar sesión · Administración de Blogroll"
    page.get_by_label("Nombre de usuario").fill(keeper)
    page.get_by_label("Contraseña").fill("no es la contraseña")
    page.get_by_role("button", name="Iniciar sesión").click()
    assert (
        page.get_by_role("alert").inner_text().strip()
        == "Ese nombre de usuario y esa contraseña no coinciden."
    )

    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(live_server + "/admin/")
    assert page.title() == "Blogs · Administración de Blogroll"
    admin = page.get_by_role("navigation", name="Administración")
    assert admin.get_by_text("Sesión iniciada como keeper").is_visible()
    assert admin.get_by_role("link", name="Añadir un blog").is_visible()
    headers = page.get_by_role("columnheader").all_inner_texts()
    assert headers == [
        "Nombre",
        "Etiquetas",
        "Última descarga",
        "Errores",
        "Próxima descarga",
        "Entradas",
        "Acciones",
    ]
    assert _cells(page, "Notas")[:3] == ["python", "nunca", "0"]
    assert re.fullmatch(SPANISH_WORDS.stamp, _cells(page, "Notas")[3])
    assert _actions(page, "Notas") == ["Editar", "Pausar", "Descargar ahora", "Eliminar"]

    _row(page, "Notas").get_by_role("button", name="Pausar").click()
    assert _notice(page) == "Se pausó Notas."
    # Stored in English (the API serves it so); the table words Blogroll's own reasons for the reader.
    assert _cells(page, "Notas")[3] == "en pausa por decisión de un responsable"

    # The switch is a plain link: English from here on, remembered by the cookie.
    page.get_by_role("navigation", name="Idioma").get_by_role("link", name="English").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Blogs (1)"
    page.goto(live_server + "/admin/tokens")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "API tokens"
