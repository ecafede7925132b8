"""Paused blogs in the admin table: the reason beside them, and the Resume button that clears it."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from .forms import form_token

REASON = "paused: no successful fetch in 30 days; last error: HTTP 503 Service Unavailable"


def test_the_table_shows_why_a_blog_is_paused(browser: FlaskClient, add_blog: Any, session: Session) -> None:
    blog = add_blog("Dead feed")
    blog.enabled, blog.paused_reason, blog.consecutive_errors = False, REASON, 40
    session.commit()

    page = browser.get("/admin/").get_data(as_text=True)

    assert f'<span class="paused-reason">{REASON}</span>' in page


def test_resume_clears_the_reason_and_pause_gives_one(
    browser: FlaskClient, add_blog: Any, session: Session
) -> None:
    blog = add_blog("Dead feed")
    blog.enabled, blog.paused_reason, blog.consecutive_errors = False, REASON, 40
    session.commit()

    token = form_token(browser, "/admin/")
    assert browser.post(f"/admin/blogs/{blog.id}/resume", data={"csrf_token": token}).status_code == 302
    session.refresh(blog)
    assert (blog.enabled, blog.paused_reason, blog.consecutive_errors) == (True, None, 0)
    assert REASON not in browser.get("/admin/").get_data(as_text=True)

    token = form_token(browser, "/admin/")
    assert browser.post(f"/admin/blogs/{blog.id}/pause", data={"csrf_token": token}).status_code == 302
    session.refresh(blog)
    assert (blog.enabled, blog.paused_reason) == (False, "paused by a keeper")
    assert '<span class="paused-reason">paused by a keeper</span>' in browser.get("/admin/").get_data(
        as_text=True
    )
