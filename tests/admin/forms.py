"""Reading the admin pages as a browser would: the CSRF token a form carries, and its cookie."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from blogroll.web_sessions import COOKIE_NAME

PASSWORD = "correct horse battery staple"


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def form_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on `path`, as a browser would have it."""
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return csrf_token(response.get_data(as_text=True))


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie(COOKIE_NAME)
    return cookie.value if cookie else None


def sign_in(client: FlaskClient, name: str = "keeper", password: str = PASSWORD, next_url: str = "") -> str:
    """Signs in through the form; returns where the answer redirects to."""
    token = form_token(client, "/admin/login")
    response = client.post(
        "/admin/login" + (f"?next={next_url}" if next_url else ""),
        data={"csrf_token": token, "name": name, "password": password},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]
