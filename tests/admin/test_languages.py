"""The admin pages in Spanish: every page, its form labels and validation messages, flash messages and
sign-in errors; English by default."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from blogroll.i18n import COOKIE_NAME
from blogroll.storage import tokens
from blogroll.storage.models import User
from tests.discovery.feeds import RSS_TYPE, page, rss
from tests.helpers.feed_server import FeedServer, Reply
from tests.helpers.html_page import Page

from .forms import PASSWORD, csrf_token, form_token, sign_in

SPANISH = {"Accept-Language": "es"}


def _spanish(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path, headers=SPANISH)
    assert response.status_code == status, response.text
    assert response.headers["Content-Language"] == "es"
    html = response.get_data(as_text=True)
    Page(html, path)  # well-formed
    assert '<html lang="es">' in html, path
    assert 'hreflang="en" lang="en">English</a>' in html, path
    return html


def test_the_sign_in_page_speaks_spanish(client: FlaskClient) -> None:
    html = _spanish(client, "/admin/login")
    for text in (
        "<title>Iniciar sesión · Administración de Blogroll</title>",
        "Nombre de usuario",
        "Contraseña",
        "Las cuentas se crean con <code>blogroll users create NAME</code>.",
    ):
        assert text in html


def test_a_wrong_password_and_a_missing_field_are_told_in_spanish(client: FlaskClient, keeper: User) -> None:
    token = form_token(client, "/admin/login")
    wrong = client.post(
        "/admin/login", data={"csrf_token": token, "name": "keeper", "password": "nope"}, headers=SPANISH
    )
    assert wrong.status_code == 401
    assert "Ese nombre de usuario y esa contraseña no coinciden." in wrong.get_data(as_text=True)
    empty = client.post("/admin/login", data={"csrf_token": token, "name": "keeper"}, headers=SPANISH)
    assert empty.status_code == 422
    # WTForms' own message, from its Spanish catalog through Flask-WTF.
    assert "Este campo es obligatorio." in empty.get_data(as_text=True)


def test_every_admin_page_speaks_spanish(browser: FlaskClient, add_blog: Any, session: Session) -> None:
    blog = add_blog("Notas", tags=["python"])
    blog.last_fetched_at = dt.datetime(2026, 3, 1, 9, 5, tzinfo=dt.UTC)
    blog.next_fetch_at = dt.datetime(2026, 3, 1, 9, 35, tzinfo=dt.UTC)
    session.commit()
    tokens.create_token(session, "lector")
    session.commit()
    pages = {
        "/admin/": ["Con errores primero", "Última descarga", "Próxima descarga", "Descargar ahora", "Pausar",
                    "Sesión iniciada como keeper", "Cerrar sesión", "1 mar 2026, 9:05", "1 mar 2026, 9:35"],
        "/admin/blogs/new": ["Añadir un blog", "Dirección del sitio", "Buscar el feed",
                             "Separadas por comas.", "En pausa (no se descarga)"],
        f"/admin/blogs/{blog.id}/edit": ["Editar Notas", "Dirección del feed", "Descripción", "Guardar"],
        f"/admin/blogs/{blog.id}/remove": ["¿Eliminar Notas?", "No se puede deshacer", "Conservarlo"],
        "/admin/tokens": ["Tokens de la API", "Crear un token", "Último uso", "nunca", "Revocar lector",
                          "Para quién o para qué es el token."],
    }  # fmt: skip
    for path, texts in pages.items():
        html = _spanish(browser, path)
        for text in texts:
            assert text in html, (path, text)
    assert "No hay ningún blog con el id 987654." in _spanish(browser, "/admin/blogs/987654/edit", 404)


def test_the_admin_pages_are_english_by_default(browser: FlaskClient, add_blog: Any) -> None:
    add_blog("Notes")
    html = browser.get("/admin/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Failing first" in html and "Signed in as keeper" in html and "Fetch now" in html


def test_flash_messages_and_form_errors_are_in_spanish(browser: FlaskClient, add_blog: Any) -> None:
    blog = add_blog("Notas")
    browser.set_cookie(COOKIE_NAME, "es")
    paused = browser.post(
        f"/admin/blogs/{blog.id}/pause", data={"csrf_token": form_token(browser, "/admin/")}
    )
    assert paused.status_code == 302
    assert "Se pausó Notas." in browser.get("/admin/").get_data(as_text=True)
    taken = add_blog("Otro")
    duplicate = browser.post(
        f"/admin/blogs/{blog.id}/edit",
        data={"csrf_token": form_token(browser, "/admin/"), "name": "Notas", "feed_url": taken.feed_url},
    )
    assert duplicate.status_code == 422
    assert "Otro blog ya tiene esta dirección de feed." in duplicate.get_data(as_text=True)
    created = browser.post(
        "/admin/tokens", data={"csrf_token": form_token(browser, "/admin/tokens"), "name": "uno"}
    )
    assert "Tu nuevo token. Cópialo ahora" in created.get_data(as_text=True)


@pytest.fixture
def finder(make_app: Callable[..., Flask], keeper: User) -> FlaskClient:
    """The keeper, signed in to an app that may fetch from loopback, where the fixture server is."""
    client = make_app(allow_private_feeds=True).test_client()
    sign_in(client)
    client.set_cookie(COOKIE_NAME, "es")
    return client


def test_the_feed_preview_speaks_spanish(finder: FlaskClient, feed_server: FeedServer) -> None:
    feed_server.route("/feed.xml", Reply(body=rss("Notas de Ana", []), headers={"Content-Type": RSS_TYPE}))
    link = '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
    site = feed_server.route("/", Reply(body=page(f"<title>Ana</title>{link}")))
    token = csrf_token(finder.get("/admin/blogs/new").get_data(as_text=True))
    preview = finder.post("/admin/blogs/new", data={"csrf_token": token, "site_url": site, "step": "find"})
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    for text in ("¿Añadir Notas de Ana?", "Feed encontrado", "Por qué este feed", "Últimos títulos",
                 "El feed todavía no tiene entradas.", "Empezar de nuevo"):  # fmt: skip
        assert text in html, text
    assert '<html lang="es">' in html


def test_signing_in_keeps_the_language(client: FlaskClient, keeper: User) -> None:
    client.get("/admin/login?lang=es")
    token = form_token(client, "/admin/login")
    signed_in = client.post(
        "/admin/login", data={"csrf_token": token, "name": "keeper", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert "Sesión iniciada como keeper" in client.get("/admin/").get_data(as_text=True)


def test_discovery_explains_itself_in_spanish_and_the_api_in_english(
    finder: FlaskClient, feed_server: FeedServer, session: Session
) -> None:
    """Why a feed was chosen, or why none was found, is told in the page's language; the API's
    422 for the same address stays English (a contract)."""
    empty = feed_server.route("/empty", Reply(body=page("<title>Nada</title>")))
    token = csrf_token(finder.get("/admin/blogs/new").get_data(as_text=True))
    missing = finder.post("/admin/blogs/new", data={"csrf_token": token, "site_url": empty, "step": "find"})
    html = missing.get_data(as_text=True)
    assert "no se encontró ningún feed en" in html
    assert "la página no enlaza ningún feed" in html

    _, api_token = tokens.create_token(session, "discovery")
    session.commit()
    answer = finder.post(
        "/api/v1/blogs",
        json={"site_url": empty},
        headers={"Authorization": f"Bearer {api_token}", "Accept-Language": "es"},
    )
    assert answer.status_code == 422
    assert answer.json is not None
    assert answer.json["message"].startswith("no feed found at ")
    assert "the page links no feed" in answer.json["message"]

    feed_server.route("/feed.xml", Reply(body=rss("Notas de Ana", []), headers={"Content-Type": RSS_TYPE}))
    link = '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
    site = feed_server.route("/", Reply(body=page(f"<title>Ana</title>{link}")))
    found = finder.post("/admin/blogs/new", data={"csrf_token": token, "site_url": site, "step": "find"})
    assert "el feed que enlaza la página" in found.get_data(as_text=True)


@pytest.mark.parametrize(
    ("stored", "spanish"),
    [
        ("paused by a keeper", "en pausa por decisión de un responsable"),
        (
            "paused: the feed answered 410 Gone (it was removed)",
            "en pausa: el feed respondió 410 Gone (se eliminó)",
        ),
        (
            "paused after 20 consecutive failures; last error: HTTP 500",
            "en pausa tras 20 fallos seguidos; último error: HTTP 500",
        ),
        (
            "paused: no successful fetch in 30 days; last error: timed out",
            "en pausa: ninguna descarga correcta en 30 días; último error: timed out",
        ),
    ],
)
def test_pause_reasons_are_shown_in_spanish_and_kept_in_english(
    browser: FlaskClient, add_blog: Any, session: Session, stored: str, spanish: str
) -> None:
    """The reason is data (the API serves it in English); the admin table words it for the reader."""
    blog = add_blog("Dormido")
    blog.enabled = False
    blog.paused_reason = stored
    session.commit()
    html = browser.get("/admin/?lang=es").get_data(as_text=True)
    assert spanish in html
    assert browser.get(f"/api/v1/blogs/{blog.id}").json["fetch"]["paused_reason"] == stored
