"""Browser sessions kept in the database, and CSRF protection for every form.

The cookie carries a random id and nothing else; the session's data lives in `web_sessions`, so
deleting a row signs that browser out wherever the cookie has gone. A session is read from the
database only by the views that need one (`load()`): pages and the API never pay for it, even when
a signed-in browser sends the cookie along.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import Flask, Request, current_app, request, session
from flask.sessions import SessionInterface, SessionMixin
from flask_wtf.csrf import CSRFProtect
from werkzeug.datastructures import CallbackDict
from werkzeug.wrappers import Response as BaseResponse

from blogroll.config import Settings, current_settings
from blogroll.storage import users
from blogroll.storage.db import Database, close_session, get_database
from blogroll.storage.models import utcnow

COOKIE_NAME = "blogroll_session"
# A signed-in session's last use is written at most this often, not on every request.
TOUCH_EVERY = dt.timedelta(minutes=1)

csrf = CSRFProtect()


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session's data, filled from the database by `load()`; saved only when something changed."""

    def __init__(self, session_id: str | None) -> None:
        def changed(_data: CallbackDict[str, Any]) -> None:
            self.modified = True

        super().__init__(None, changed)
        self.session_id = session_id
        self.loaded = False
        self.modified = False
        self.renew = False
        self.ended = False
        self.last_seen_at: dt.datetime | None = None

    @property
    def user_id(self) -> int | None:
        value = self.get("user_id")
        return value if isinstance(value, int) else None


def rules(settings: Settings) -> users.SessionRules:
    return users.SessionRules(
        idle=dt.timedelta(seconds=settings.session_idle_timeout),
        absolute=dt.timedelta(seconds=settings.session_max_age),
    )


class DatabaseSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession:
        return ServerSession(request.cookies.get(COOKIE_NAME))

    def save_session(self, app: Flask, session: SessionMixin, response: BaseResponse) -> None:
        if not isinstance(session, ServerSession) or not session.loaded:
            return
        # The view is done with the request's own session; closing it first means this write never
        # waits behind it (SQLite holds one writer at a time).
        close_session()
        database = get_database(app)
        if session.ended:
            if session.session_id:
                with database.transaction() as db_session:
                    users.end_session(db_session, session.session_id)
            response.delete_cookie(COOKIE_NAME, path="/")
            return
        now = utcnow()
        stale = session.last_seen_at is None or now - session.last_seen_at > TOUCH_EVERY
        if not (session.modified or session.renew or (session.user_id and stale)):
            return
        data = json.dumps({key: value for key, value in session.items() if key != "user_id"})
        settings: Settings = app.config["BLOGROLL_SETTINGS"]
        with database.transaction() as db_session:
            if session.renew or session.session_id is None:
                # A new id on every change of who is signed in: a planted id is never promoted.
                if session.session_id:
                    users.end_session(db_session, session.session_id)
                users.delete_expired_sessions(db_session, rules(settings), now)
                session.session_id = users.new_session_id()
            users.save_session(db_session, session.session_id, user_id=session.user_id, data=data, now=now)
        response.set_cookie(
            COOKIE_NAME,
            session.session_id,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )


def load() -> ServerSession:
    """Reads this request's session from the database (once) and arms CSRF protection for it."""
    current = session._get_current_object()  # type: ignore[attr-defined]
    assert isinstance(current, ServerSession)
    if current.loaded:
        return current
    database = get_database()
    if "WTF_CSRF_SECRET_KEY" not in current_app.config:
        current_app.config["WTF_CSRF_SECRET_KEY"] = _csrf_key(database)
    with database.read_sessions() as db_session:
        row = None
        if current.session_id:
            row = users.load_session(db_session, current.session_id, rules(current_settings()))
    current.loaded = True
    if row is None:
        current.session_id = None  # unknown or expired: a new one is made when there is data to keep
        return current
    data = json.loads(row.data)
    data["user_id"] = row.user_id
    current.update(data)
    current.modified = False
    current.last_seen_at = row.last_seen_at
    return current


def _csrf_key(database: Database) -> str:
    with database.read_sessions() as db_session:
        key = users.site_key(db_session, "csrf")
    if key is None:
        with database.transaction() as db_session:
            key = users.make_site_key(db_session, "csrf")
    return key


def sign_in(user_id: int) -> None:
    """Makes this browser's session the user's, under a new id (OWASP: renew the id at sign-in)."""
    current = load()
    current.clear()  # the CSRF token too: the next form gets a new one
    current["user_id"] = user_id
    current.renew = True


def sign_out() -> None:
    current = load()
    current.clear()
    current.ended = True


def init_app(app: Flask) -> None:
    app.session_interface = DatabaseSessionInterface()
    # Checked by the views that load a session (`protect()`), not for every request: the API uses
    # tokens, not cookies, and pages take no forms.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # the token lives as long as its session
    csrf.init_app(app)


def protect() -> None:
    """Refuses (400) an unsafe method without a valid CSRF token for this session."""
    csrf.protect()
