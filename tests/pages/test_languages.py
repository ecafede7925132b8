"""The public pages in English and Spanish: chosen by Accept-Language, `?lang=` or the cookie, English
otherwise; each page says its language, links to the other, and formats dates for it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blogroll.i18n import COOKIE_NAME
from blogroll.templating import local_datetime, local_number
from tests.helpers.html_page import Page

PUBLISHED = dt.datetime(2026, 3, 1, 9, 5, tzinfo=dt.UTC)

# CLDR puts a narrow no-break space before AM/PM.
# The three ways a reader asks for Spanish: (path suffix, request headers, cookie).
SPANISH_REQUESTS = {
    "accept-language": ("", {"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}, None),
    "query": ("?lang=es", {"Accept-Language": "en-US,en;q=0.9"}, None),
    "cookie": ("", {"Accept-Language": "en"}, "es"),
}


@pytest.fixture
def blog(add_blog: Any, add_entry: Any) -> Any:
    blog = add_blog("Notas", tags=["python"])
    add_entry(blog, "Una entrada", published_at=PUBLISHED, author="Ana")
    return blog


def _get(client: FlaskClient, path: str, way: str, status: int = 200) -> Any:
    suffix, headers, cookie = SPANISH_REQUESTS[way]
    if cookie:
        client.set_cookie(COOKIE_NAME, cookie)
    separator = "&" if "?" in path and suffix else ""
    response = client.get(path + (suffix.replace("?", separator) if separator else suffix), headers=headers)
    assert response.status_code == status, response.text
    return response


def _public_pages(blog: Any) -> list[tuple[str, int, list[str], list[str]]]:
    """(path, status, Spanish texts it must show, English texts it must show)."""
    return [
        (
            "/",
            200,
            [
                "Últimas entradas",
                "El blogroll",
                "Saltar al contenido",
                "Entradas de Notas",
                "1 mar 2026, 9:05 UTC",
            ],
            [
                "Latest posts",
                "The blogroll",
                "Skip to content",
                "Posts from Notas",
                "Mar 1, 2026, 9:05\u202fAM UTC",
            ],
        ),
        (
            f"/blogs/{blog.id}",
            200,
            ["Sitio web", "Todavía no se ha descargado.", "Entradas", "1 mar 2026, 9:05 UTC"],
            ["Website", "Not fetched yet.", "Posts", "Mar 1, 2026, 9:05\u202fAM UTC"],
        ),
        (
            "/api/v1/docs",
            200,
            ["Parámetro de consulta", "requiere un token", "La API responde en inglés"],
            ["Query parameter", "needs a token", "The API answers in English"],
        ),
        (
            "/no/such/page",
            404,
            ["404 No encontrado", "No hay nada en esta dirección.", "Volver al blogroll"],
            ["404 Not Found", "Nothing is at this address.", "Back to the blogroll"],
        ),
        (
            "/blogs/987654",
            404,
            ["No hay ningún blog con el id 987654."],
            ["There is no blog with id 987654."],
        ),
        (
            "/?before=not-a-cursor",
            400,
            ["400 Solicitud incorrecta", "Ese enlace de página no es válido."],
            ["400 Bad Request", "That page link is not valid."],
        ),
    ]


@pytest.mark.parametrize("way", list(SPANISH_REQUESTS))
def test_every_public_page_speaks_spanish_when_asked(app: Flask, blog: Any, way: str) -> None:
    for path, status, spanish, english in _public_pages(blog):
        response = _get(app.test_client(), path, way, status)
        page = Page(response.text, path)
        assert page.find(".").find("html").get("lang") == "es", path
        assert response.headers["Content-Language"] == "es"
        for text in spanish:
            assert text in response.text, (path, text)
        for text in english:
            assert text not in response.text, (path, text)


def test_every_public_page_is_english_by_default(client: FlaskClient, blog: Any) -> None:
    for path, status, spanish, english in _public_pages(blog):
        response = client.get(path)
        assert response.status_code == status
        assert '<html lang="en">' in response.text
        assert response.headers["Content-Language"] == "en"
        for text in english:
            assert text in response.text, (path, text)
        for text in spanish:
            assert text not in response.text, (path, text)


@pytest.mark.parametrize(
    ("headers", "cookie", "query"),
    [
        ({"Accept-Language": "fr-FR, de;q=0.8"}, None, ""),
        ({"Accept-Language": "es;q=0, fr"}, None, ""),
        ({"Accept-Language": "*"}, None, ""),
        ({"Accept-Language": "not a language header"}, None, ""),
        ({}, "fr", ""),
        ({}, None, "?lang=fr"),
        ({}, None, "?lang=../../es"),
    ],
)
def test_languages_not_served_fall_back_to_english(
    client: FlaskClient, headers: dict[str, str], cookie: str | None, query: str
) -> None:
    if cookie:
        client.set_cookie(COOKIE_NAME, cookie)
    response = client.get("/" + query, headers=headers)
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    assert "Latest posts" in response.text
    assert "Set-Cookie" not in response.headers


def test_a_spanish_reader_who_also_reads_french_gets_spanish(client: FlaskClient) -> None:
    response = client.get("/", headers={"Accept-Language": "fr, es;q=0.5"})
    assert '<html lang="es">' in response.text


def test_every_page_links_to_itself_in_each_language(client: FlaskClient, blog: Any) -> None:
    for path, status, _spanish, _english in _public_pages(blog):
        response = client.get(path, headers={"Accept-Language": "es"})
        assert response.status_code == status
        page = Page(response.text, path)
        links = page.findall(".//header/nav[@class='languages']/a")
        bare = path.split("?")[0]
        others = "before=not-a-cursor&" if "before=" in path else ""
        assert [(a.get("hreflang"), a.get("href"), a.text) for a in links] == [
            ("en", f"{bare}?{others}lang=en", "English"),
            ("es", f"{bare}?{others}lang=es", "Español"),
        ], path
        assert [a.get("aria-current") for a in links] == [None, "true"]


def test_the_language_link_is_remembered_in_a_cookie(client: FlaskClient) -> None:
    chosen = client.get("/?lang=es")
    cookie = chosen.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=es;")
    assert "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    # The browser keeps it: the next page, without ?lang=, is in Spanish whatever it accepts.
    later = client.get("/blogs/987654", headers={"Accept-Language": "en"})
    assert '<html lang="es">' in later.text
    # Asking again for what the cookie already says sets nothing; another language changes it.
    assert "Set-Cookie" not in client.get("/?lang=es").headers
    assert client.get("/?lang=en").headers["Set-Cookie"].startswith(f"{COOKIE_NAME}=en;")
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "es"}).text


def test_pages_say_what_their_language_depends_on(client: FlaskClient) -> None:
    response = client.get("/", headers={"Accept-Language": "es"})
    assert response.headers["Content-Language"] == "es"
    assert set(response.headers["Vary"].replace(" ", "").split(",")) == {"Accept-Language", "Cookie"}


def test_feeds_and_the_api_do_not_vary_by_language(client: FlaskClient) -> None:
    for path in ("/feed.atom", "/blogroll.opml", "/api/v1/blogs", "/api/v1/", "/static/style.css"):
        with client.get(path, headers={"Accept-Language": "es"}) as response:
            assert response.status_code == 200, path
            assert "Content-Language" not in response.headers, path
            assert "Accept-Language" not in response.headers.get("Vary", ""), path


def test_a_page_in_one_language_does_not_revalidate_the_other(client: FlaskClient) -> None:
    english = client.get("/")
    spanish = client.get("/", headers={"Accept-Language": "es", "If-None-Match": english.headers["ETag"]})
    assert spanish.status_code == 200
    assert spanish.headers["ETag"] != english.headers["ETag"]
    again = client.get("/", headers={"Accept-Language": "es", "If-None-Match": spanish.headers["ETag"]})
    assert again.status_code == 304


def test_machine_readable_times_stay_rfc_3339(client: FlaskClient, blog: Any) -> None:
    page = Page(client.get("/", headers={"Accept-Language": "es"}).text)
    time = page.find(".//ol[@class='entries']//time")
    assert time.get("datetime") == "2026-03-01T09:05:00Z"
    assert time.text == "1 mar 2026, 9:05 UTC"


@pytest.mark.parametrize(
    ("language", "when", "number"),
    [("en", "Dec 31, 2026, 11:59\u202fPM", "1,234,567"), ("es", "31 dic 2026, 23:59", "1.234.567")],
)
def test_dates_and_numbers_are_written_the_reader_s_way(
    app: Flask, language: str, when: str, number: str
) -> None:
    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert local_datetime(dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC)) == when
        assert local_number(1234567) == number


@pytest.mark.parametrize("language", ["en", "es"])
def test_remembered_times_read_as_flask_babel_writes_them(app: Flask, language: str) -> None:
    """`local_datetime` remembers what it wrote (a page writes the same 30 times again and again);
    what it remembers must be what Flask-Babel's own formatters write, in each language, for times
    of every hour and month, again when asked twice, and in one language after the other."""
    from babel.dates import get_datetime_format
    from flask_babel import format_date, format_time, get_locale

    times = [
        dt.datetime(2026, month, 1 + month, hour, 7 * month % 60, tzinfo=dt.UTC)
        for month in range(1, 13)
        for hour in (0, 9, 12, 13, 23)
    ]
    for other in ("en", "es"):
        with app.test_request_context("/", headers={"Accept-Language": other}):
            app.preprocess_request()
            [local_datetime(when) for when in times[::3]]
    with app.test_request_context("/", headers={"Accept-Language": language}):
        app.preprocess_request()
        for when in times * 2:
            pattern = str(get_datetime_format("medium", locale=get_locale()))
            expected = pattern.replace("{1}", str(format_date(when, "medium"))).replace(
                "{0}", str(format_time(when, "short"))
            )
            assert local_datetime(when) == expected
