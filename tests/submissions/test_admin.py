"""The keepers' queue of submissions: what discovery found, what it duplicates, approve and reject in
one click each, every submitted field escaped, and the pending count in the header."""

from __future__ import annotations

import json
import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from blogroll.storage.models import Blog, Submission
from tests.admin.forms import csrf_token
from tests.helpers.html_page import Page

QUEUE = "/admin/submissions"
SCRIPT = "<script>alert(1)</script>"


def _queue(browser: FlaskClient) -> str:
    response = browser.get(QUEUE)
    assert response.status_code == 200, response.text
    Page(response.text, QUEUE)
    return response.text


def test_the_queue_shows_what_discovery_found(browser: FlaskClient, add_submission: Any) -> None:
    submission = add_submission(
        name="Ann's notes",
        note="Writes about Python",
        contact="ann@x.org",
        found={"latest_titles": ["One", "Two"]},
    )

    page = _queue(browser)

    assert "Submissions (1)" in page
    article = page[page.index(f'id="submission-{submission.id}"') :]
    for text in (submission.site_url, submission.feed_url, "Writes about Python", "ann@x.org", "192.0.2.1"):
        assert text in article, text
    assert re.search(r'<ol class="latest-titles"><li>One</li><li>Two</li></ol>', article)


def test_the_header_counts_pending_submissions(
    browser: FlaskClient, add_submission: Any, session: Session
) -> None:
    assert "Submissions (0)" in browser.get("/admin/").text
    add_submission()
    add_submission()
    rejected = add_submission()
    rejected.status = "rejected"
    session.commit()

    assert "Submissions (2)" in browser.get("/admin/").text


def test_every_submitted_field_is_escaped(browser: FlaskClient, add_submission: Any) -> None:
    add_submission(
        site_url='https://evil.example/"><script>alert(1)</script>',
        feed_url='https://evil.example/feed"onmouseover="alert(1)',
        name=SCRIPT,
        note=SCRIPT,
        contact=SCRIPT,
        client_address=SCRIPT[:64],
        found={"feed_title": SCRIPT, "latest_titles": [SCRIPT], "reason": SCRIPT},
    )

    page = _queue(browser)

    assert "<script>" not in page
    assert '"onmouseover="' not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 7


def test_a_duplicate_is_named_with_a_link(browser: FlaskClient, add_submission: Any, add_blog: Any) -> None:
    blog = add_blog("Already here", feed_url="https://dup.example/feed.xml", site_url="https://dup.example/")
    add_submission(site_url="https://dup.example/", feed_url="https://dup.example/feed.xml")
    sibling = add_blog("Same site", site_url="https://other.example/")
    add_submission(site_url="https://other.example/", feed_url="https://other.example/comments.xml")

    page = _queue(browser)

    assert f'<a href="/admin/blogs/{blog.id}/edit">Already here</a>' in page
    assert f'<a href="/admin/blogs/{sibling.id}/edit">Same site</a>' in page


def test_approve_adds_the_blog_with_its_tags(
    browser: FlaskClient, add_submission: Any, session: Session
) -> None:
    submission = add_submission(name="Ann")
    token = csrf_token(_queue(browser))

    response = browser.post(
        f"{QUEUE}/{submission.id}/approve", data={"csrf_token": token, "tags": "Python, web"}
    )

    assert response.status_code == 302
    assert "Approved Ann: it is in the blogroll now." in browser.get(QUEUE).text
    blog = session.scalars(select(Blog)).one()
    assert (blog.name, blog.feed_url, blog.tags) == ("Ann", submission.feed_url, ["python", "web"])
    session.refresh(submission)
    assert (submission.status, submission.blog_id, submission.decided_by) == ("approved", blog.id, "keeper")
    assert "Submissions (0)" in browser.get("/admin/").text
    assert "Ann" in browser.get("/").text


def test_reject_keeps_the_reason(browser: FlaskClient, add_submission: Any, session: Session) -> None:
    submission = add_submission(name="Spam")
    token = csrf_token(_queue(browser))

    empty = browser.post(f"{QUEUE}/{submission.id}/reject", data={"csrf_token": token, "reason": ""})
    assert "Not rejected: Say why it is rejected." in browser.get(QUEUE).text
    assert empty.status_code == 302
    response = browser.post(f"{QUEUE}/{submission.id}/reject", data={"csrf_token": token, "reason": "spam"})

    assert response.status_code == 302
    assert "Rejected Spam." in browser.get(QUEUE).text
    session.refresh(submission)
    assert (submission.status, submission.reject_reason) == ("rejected", "spam")
    assert session.scalars(select(Blog)).all() == []


def test_deciding_needs_the_csrf_token_and_a_keeper(
    browser: FlaskClient, client: FlaskClient, add_submission: Any, session: Session
) -> None:
    submission = add_submission()

    assert browser.post(f"{QUEUE}/{submission.id}/approve").status_code == 400
    assert browser.post(f"{QUEUE}/{submission.id}/reject", data={"reason": "x"}).status_code == 400
    assert client.get(QUEUE).status_code == 302
    session.refresh(submission)
    assert submission.status == "pending"
    assert json.loads(submission.discovery)["feed_format"] == "rss"
    assert session.get(Submission, submission.id) is not None
