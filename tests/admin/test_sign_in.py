"""Signing in and out: server-side sessions, CSRF on every form, the throttle, safe redirects."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from blogroll.storage import users
from blogroll.storage.models import SignInFailure, SiteKey, User, WebSession, utcnow
from blogroll.web_sessions import COOKIE_NAME

from .forms import PASSWORD, csrf_token, form_token, session_cookie, sign_in


def test_signed_out_the_admin_pages_redirect_to_the_sign_in_form(client: FlaskClient) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/login?next=/admin/"
    form = client.get("/admin/login")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert 'id="name"' in html and 'type="password"' in html and 'name="csrf_token"' in html


def test_a_keeper_signs_in_and_sees_the_blog_table(client: FlaskClient, keeper: User) -> None:
    assert sign_in(client) == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Signed in as keeper" in page.get_data(as_text=True)


def test_the_cookie_is_http_only_and_same_site_lax(client: FlaskClient, keeper: User) -> None:
    token = form_token(client, "/admin/login")
    response = client.post("/admin/login", data={"csrf_token": token, "name": "keeper", "password": PASSWORD})
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith(COOKIE_NAME))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http here; see the next test


def test_the_cookie_is_secure_when_the_trusted_proxy_says_https(make_app: object, keeper: User) -> None:
    app: Flask = make_app(trusted_proxies=1)  # type: ignore[operator]
    client = app.test_client()
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    page = client.get("/admin/login", headers=https)
    cookie = next(value for value in page.headers.getlist("Set-Cookie") if value.startswith(COOKIE_NAME))
    assert "Secure" in cookie


def test_the_session_id_changes_at_sign_in(client: FlaskClient, keeper: User) -> None:
    form_token(client, "/admin/login")
    before = session_cookie(client)
    assert before  # the sign-in form's session, holding only its CSRF token
    sign_in(client)
    after = session_cookie(client)
    assert after and after != before
    # The id from before sign-in is worth nothing now.
    client.set_cookie(COOKIE_NAME, before)
    assert client.get("/admin/").status_code == 302


def test_a_replayed_cookie_after_sign_out_grants_nothing(browser: FlaskClient) -> None:
    cookie = session_cookie(browser)
    token = form_token(browser, "/admin/")
    response = browser.post("/admin/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert session_cookie(browser) is None
    browser.set_cookie(COOKIE_NAME, cookie or "")
    assert browser.get("/admin/").status_code == 302


def test_the_sessions_live_in_the_database_hashed(browser: FlaskClient, session: Session) -> None:
    cookie = session_cookie(browser)
    stored = list(session.scalars(select(WebSession.id_hash)))
    assert cookie not in stored
    assert users.hash_session_id(cookie or "") in stored


@pytest.mark.parametrize("change", ["delete", "set-password"])
def test_deleting_a_user_or_changing_the_password_ends_their_sessions(
    browser: FlaskClient, session: Session, change: str
) -> None:
    assert browser.get("/admin/").status_code == 200
    if change == "delete":
        users.delete_user(session, "keeper")
    else:
        users.set_password(session, "keeper", "a whole new passphrase")
    session.commit()
    assert browser.get("/admin/").status_code == 302


def test_an_idle_session_expires(make_app: object, keeper: User, session: Session) -> None:
    app: Flask = make_app(session_idle_timeout=60)  # type: ignore[operator]
    client = app.test_client()
    sign_in(client)
    assert client.get("/admin/").status_code == 200
    row = session.scalars(select(WebSession).where(WebSession.user_id == keeper.id)).one()
    row.last_seen_at = row.last_seen_at - dt.timedelta(seconds=61)
    session.commit()
    assert client.get("/admin/").status_code == 302


def test_a_session_expires_at_its_maximum_age_even_in_use(
    make_app: object, keeper: User, session: Session
) -> None:
    app: Flask = make_app(session_max_age=3600)  # type: ignore[operator]
    client = app.test_client()
    sign_in(client)
    row = session.scalars(select(WebSession).where(WebSession.user_id == keeper.id)).one()
    row.created_at = row.created_at - dt.timedelta(seconds=3601)
    session.commit()
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(
    browser: FlaskClient, add_blog: object, storage: object, token: str | None
) -> None:
    blog = add_blog("Kept")  # type: ignore[operator]
    before = storage()  # type: ignore[operator]
    data = {} if token is None else {"csrf_token": token}
    for path in (
        f"/admin/blogs/{blog.id}/pause",
        f"/admin/blogs/{blog.id}/remove",
        "/admin/tokens",
        "/admin/logout",
    ):
        response = browser.post(path, data=data | {"name": "x"})
        assert response.status_code == 400, path
        assert "CSRF" in response.get_data(as_text=True)
    assert storage() == before  # type: ignore[operator]


def test_the_sign_in_form_needs_its_csrf_token(client: FlaskClient, keeper: User) -> None:
    response = client.post("/admin/login", data={"name": "keeper", "password": PASSWORD})
    assert response.status_code == 400
    assert session_cookie(client) is None or client.get("/admin/").status_code == 302


def test_another_sessions_csrf_token_is_refused(app: Flask, browser: FlaskClient, add_blog: object) -> None:
    blog = add_blog("Kept")  # type: ignore[operator]
    stranger = app.test_client()
    foreign = form_token(stranger, "/admin/login")
    response = browser.post(f"/admin/blogs/{blog.id}/pause", data={"csrf_token": foreign})
    assert response.status_code == 400


def test_a_wrong_password_is_refused_and_logged_without_the_password(
    client: FlaskClient, keeper: User, caplog: pytest.LogCaptureFixture
) -> None:
    token = form_token(client, "/admin/login")
    with caplog.at_level(logging.INFO):
        response = client.post(
            "/admin/login", data={"csrf_token": token, "name": "keeper", "password": "not-the-password"}
        )
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    assert "sign-in failed for user 'keeper' from 127.0.0.1" in caplog.text
    assert "not-the-password" not in caplog.text
    assert client.get("/admin/").status_code == 302


def _fail(client: FlaskClient, name: str, *, address: str = "127.0.0.1") -> int:
    token = form_token(client, "/admin/login")
    response = client.post(
        "/admin/login",
        data={"csrf_token": token, "name": name, "password": "wrong password!"},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


def test_ten_failures_for_one_account_throttle_it_even_with_the_right_password(
    app: Flask, keeper: User, session: Session
) -> None:
    for number in range(10):
        # From ten addresses: the account's own count throttles it.
        assert _fail(app.test_client(), "keeper", address=f"192.0.2.{number}") == 401
    client = app.test_client()
    token = form_token(client, "/admin/login")
    response = client.post(
        "/admin/login",
        data={"csrf_token": token, "name": "keeper", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.1"},
    )
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_ten_failures_from_one_address_throttle_that_address(app: Flask, keeper: User) -> None:
    client = app.test_client()
    for number in range(10):
        assert _fail(client, f"someone-{number}", address="192.0.2.77") == 401
    assert _fail(client, "keeper", address="192.0.2.77") == 429
    # Another address may still sign in to the account.
    assert sign_in(app.test_client()) == "/admin/"


def test_the_throttle_lets_go_when_the_window_has_passed(app: Flask, keeper: User, session: Session) -> None:
    for _ in range(10):
        _fail(app.test_client(), "keeper")
    assert _fail(app.test_client(), "keeper") == 429
    now = utcnow() + users.FAILURE_WINDOW + dt.timedelta(seconds=1)
    assert users.authenticate(session, "keeper", PASSWORD, address="127.0.0.1", now=now) is not None


def test_failures_are_counted_in_the_database(app: Flask, keeper: User, session: Session) -> None:
    _fail(app.test_client(), "keeper")
    assert session.scalar(select(func.count()).select_from(SignInFailure)) == 1


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/%0d%0aSet-Cookie:x=1",
    ],
)
def test_next_never_leaves_the_site(client: FlaskClient, keeper: User, target: str) -> None:
    from urllib.parse import quote

    location = sign_in(client, next_url=quote(target, safe=""))
    assert location.startswith("/")
    assert not location.startswith("//")
    assert "evil" not in location or location == "/admin/"
    assert "\r" not in location and "\n" not in location


def test_next_keeps_a_path_on_the_site(client: FlaskClient, keeper: User) -> None:
    assert sign_in(client, next_url="/admin/tokens") == "/admin/tokens"


def test_admin_answers_are_never_stored(browser: FlaskClient, client: FlaskClient) -> None:
    for response in (browser.get("/admin/"), browser.get("/admin/tokens"), client.get("/admin/login")):
        assert response.headers["Cache-Control"] == "no-store"


def test_public_pages_open_no_session(client: FlaskClient) -> None:
    for path in ("/", "/api/v1/blogs", "/feed.atom"):
        response = client.get(path)
        assert not any(value.startswith(COOKIE_NAME) for value in response.headers.getlist("Set-Cookie"))


def test_passwords_are_stored_as_argon2id_hashes(keeper: User) -> None:
    assert keeper.password_hash.startswith("$argon2id$")
    assert PASSWORD not in keeper.password_hash


def test_a_sign_in_page_with_errors_shows_them(client: FlaskClient) -> None:
    token = form_token(client, "/admin/login")
    response = client.post("/admin/login", data={"csrf_token": token, "name": "", "password": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-describedby="name-errors"' in html
    assert csrf_token(html)


def test_a_database_without_its_site_key_makes_one(app: Flask, session: Session, keeper: User) -> None:
    """The migration makes the CSRF key; a database emptied by hand gets a new one on first use."""
    session.execute(delete(SiteKey))
    session.commit()
    client = app.test_client()
    assert sign_in(client) == "/admin/"
    assert session.scalar(select(func.count()).select_from(SiteKey)) == 1
