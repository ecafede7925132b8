"""The blog table and its actions, and API tokens, as a signed-in keeper uses them."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from blogroll.storage import tokens
from blogroll.storage.models import ApiToken, Blog

from .forms import csrf_token, form_token


def _rows(html: str) -> list[str]:
    """The blog names in the table, top to bottom."""
    if "<tbody>" not in html:
        return []
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<th scope="row"><a href="/blogs/\d+">([^<]+)</a>', body)


def _post(browser: FlaskClient, path: str, data: dict[str, Any] | None = None, page: str = "/admin/") -> Any:
    return browser.post(path, data={"csrf_token": form_token(browser, page)} | (data or {}))


def test_the_table_lists_failing_blogs_first(browser: FlaskClient, add_blog: Any, session: Session) -> None:
    add_blog("Alpha")
    broken = add_blog("Broken")
    add_blog("Calm")
    broken.consecutive_errors = 3
    broken.last_error = "HTTP 500 from the feed server"
    session.commit()
    html = browser.get("/admin/").get_data(as_text=True)
    assert _rows(html) == ["Broken", "Alpha", "Calm"]
    assert "HTTP 500 from the feed server" in html
    assert _rows(browser.get("/admin/?sort=name").get_data(as_text=True)) == ["Alpha", "Broken", "Calm"]


def test_the_table_filters_by_name_and_tag(browser: FlaskClient, add_blog: Any) -> None:
    add_blog("Python Weekly", tags=["python"])
    add_blog("Rust Notes", tags=["rust"])
    add_blog("More Python", tags=["python", "data"])
    assert _rows(browser.get("/admin/?q=python").get_data(as_text=True)) == ["More Python", "Python Weekly"]
    assert _rows(browser.get("/admin/?tag=rust").get_data(as_text=True)) == ["Rust Notes"]
    assert _rows(browser.get("/admin/?q=50%25_").get_data(as_text=True)) == []


def test_the_table_counts_each_blogs_entries(browser: FlaskClient, add_blog: Any, add_entry: Any) -> None:
    blog = add_blog("Counted")
    for _ in range(3):
        add_entry(blog)
    html = browser.get("/admin/?sort=entries").get_data(as_text=True)
    assert re.search(
        r'Counted</a>.*?<td data-label="Errors">0</td>\s*<td data-label="Next fetch">.*?</td>\s*'
        r'<td data-label="Entries">3</td>',
        html,
        flags=re.DOTALL,
    )


def test_a_keeper_adds_a_blog_by_its_feed(browser: FlaskClient, session: Session) -> None:
    response = _post(
        browser,
        "/admin/blogs/new",
        {
            "name": "New Blog",
            "feed_url": "https://new.example.org/feed.xml",
            "site_url": "https://new.example.org/",
            "tags": "Python, web dev",
        },
        page="/admin/blogs/new",
    )
    assert response.status_code == 302
    blog = session.scalars(select(Blog).where(Blog.name == "New Blog")).one()
    assert blog.tags == ["python", "web dev"]
    assert blog.enabled
    assert "Added New Blog." in browser.get("/admin/").get_data(as_text=True)


def test_form_errors_are_shown_beside_their_fields(browser: FlaskClient, storage: Any) -> None:
    token = form_token(browser, "/admin/blogs/new")
    before = storage()
    response = browser.post(
        "/admin/blogs/new", data={"csrf_token": token, "name": "X", "feed_url": "ftp://x.example/feed"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-describedby="feed_url-errors"' in html
    assert (
        '<ul class="errors" id="feed_url-errors"><li>'
        "Feed address must be a web address starting with http:// or https://.</li></ul>"
    ) in html
    assert storage() == before


FEED = "https://words.example.org/feed.xml"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "   "}, "name", "Name is empty."),
        ({"name": "x" * 201}, "name", "Name is too long: at most 200 characters."),
        (
            {"name": "Bell\x07"},
            "name",
            "Name contains control characters or characters that cannot be stored.",
        ),
        (
            {"feed_url": "feed.xml"},
            "feed_url",
            "Feed address must be a web address starting with http:// or https://.",
        ),
        (
            {"site_url": "javascript:alert(1)"},
            "site_url",
            "Site address must be a web address starting with http:// or https://.",
        ),
        (
            {"tags": "python, -dash"},
            "tags",
            "Tag 2 may hold only letters, digits, spaces and _ . + -, and must start with a letter or digit.",
        ),
        ({"tags": ", ".join(f"t{n}" for n in range(21))}, "tags", "Tags: give at most 20 tags."),
        (
            {"description": "Bell\x07"},
            "description",
            "Description contains control characters or characters that cannot be stored.",
        ),
    ],
    ids=[
        "empty-name",
        "long-name",
        "control-name",
        "relative-feed",
        "script-site",
        "tag",
        "many-tags",
        "description",
    ],
)
def test_form_errors_say_what_is_wrong_in_words(
    browser: FlaskClient, add_blog: Any, storage: Any, fields: dict[str, str], field: str, message: str
) -> None:
    """Errors name the field by its label and say what to fix: no pattern, type name or API name."""
    blog = add_blog("Words", feed_url=FEED)
    values = {"name": "Words", "feed_url": FEED} | fields
    # A name left empty on the new form is not an error but a name to find (by fetching the feed).
    paths = [f"/admin/blogs/{blog.id}/edit"] + (["/admin/blogs/new"] if values["name"].strip() else [])
    for path in paths:
        token = form_token(browser, path)
        before = storage()
        response = browser.post(path, data={"csrf_token": token, "step": "add"} | values)
        assert response.status_code == 422, path
        page = response.get_data(as_text=True)
        shown = re.findall(rf'<ul class="errors" id="{field}-errors"><li>(.*?)</li></ul>', page)
        assert [html.unescape(error) for error in shown] == [message], path
        for raw in ("String should", "pattern", "Input should", "feed_url", "site_url"):
            assert raw not in "".join(re.findall(r'<ul class="errors"[^>]*>(.*?)</ul>', page)), path
        assert storage() == before


def test_a_feed_already_in_the_roll_is_refused_with_a_message(browser: FlaskClient, add_blog: Any) -> None:
    add_blog("First", feed_url="https://same.example.org/feed")
    response = _post(
        browser,
        "/admin/blogs/new",
        {"name": "Second", "feed_url": "https://same.example.org/feed"},
        page="/admin/blogs/new",
    )
    assert response.status_code == 422
    assert "Another blog already has this feed address." in response.get_data(as_text=True)


def test_a_keeper_edits_a_blog(browser: FlaskClient, add_blog: Any, session: Session) -> None:
    blog = add_blog("Old Name", tags=["a"])
    page = browser.get(f"/admin/blogs/{blog.id}/edit").get_data(as_text=True)
    assert 'value="Old Name"' in page
    response = browser.post(
        f"/admin/blogs/{blog.id}/edit",
        data={
            "csrf_token": csrf_token(page),
            "name": "New Name",
            "feed_url": blog.feed_url,
            "site_url": "",
            "tags": "b",
            "paused": "y",
        },
    )
    assert response.status_code == 302
    session.refresh(blog)
    assert (blog.name, blog.site_url, blog.tags, blog.enabled) == ("New Name", None, ["b"], False)


def test_pause_resume_and_fetch_now(browser: FlaskClient, add_blog: Any, session: Session) -> None:
    blog = add_blog("Switch")
    assert _post(browser, f"/admin/blogs/{blog.id}/pause").status_code == 302
    session.refresh(blog)
    assert not blog.enabled
    assert "Resume" in browser.get("/admin/").get_data(as_text=True)
    assert _post(browser, f"/admin/blogs/{blog.id}/resume").status_code == 302
    session.refresh(blog)
    assert blog.enabled
    later = blog.next_fetch_at
    blog.next_fetch_at = later.replace(year=later.year + 1)
    session.commit()
    assert _post(browser, f"/admin/blogs/{blog.id}/fetch").status_code == 302
    session.refresh(blog)
    assert blog.next_fetch_at.year == later.year


def test_removing_asks_first(browser: FlaskClient, add_blog: Any, session: Session) -> None:
    blog_id = add_blog("Doomed").id
    confirm = browser.get(f"/admin/blogs/{blog_id}/remove")
    assert confirm.status_code == 200
    assert "Remove Doomed?" in confirm.get_data(as_text=True)
    assert session.get(Blog, blog_id) is not None  # asking changed nothing
    response = browser.post(
        f"/admin/blogs/{blog_id}/remove", data={"csrf_token": csrf_token(confirm.get_data(as_text=True))}
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Blog, blog_id) is None


@pytest.mark.parametrize("path", ["/admin/blogs/999/edit", "/admin/blogs/99999999999/remove"])
def test_an_unknown_blog_is_404(browser: FlaskClient, path: str) -> None:
    assert browser.get(path).status_code == 404


def test_tokens_are_shown_once_listed_and_revoked(browser: FlaskClient, session: Session) -> None:
    page = browser.get("/admin/tokens").get_data(as_text=True)
    created = browser.post("/admin/tokens", data={"csrf_token": csrf_token(page), "name": "laptop"})
    assert created.status_code == 200
    html = created.get_data(as_text=True)
    token = re.search(r'<code class="token">([^<]+)</code>', html)
    assert token and token.group(1).startswith("blr_")
    assert tokens.verify_token(session, token.group(1)) is not None
    listing = browser.get("/admin/tokens").get_data(as_text=True)
    assert "laptop" in listing and token.group(1) not in listing
    row = session.scalars(select(ApiToken).where(ApiToken.name == "laptop")).one()
    revoked = browser.post(f"/admin/tokens/{row.id}/revoke", data={"csrf_token": csrf_token(listing)})
    assert revoked.status_code == 302
    assert tokens.verify_token(session, token.group(1)) is None


def test_a_token_name_in_use_is_refused(browser: FlaskClient, session: Session) -> None:
    tokens.create_token(session, "taken")
    session.commit()
    page = browser.get("/admin/tokens").get_data(as_text=True)
    response = browser.post("/admin/tokens", data={"csrf_token": csrf_token(page), "name": "taken"})
    assert response.status_code == 422
    assert "A token with this name exists" in response.get_data(as_text=True)


SCRIPT = '<script>alert("x")</script>'


def test_script_in_any_admin_field_is_shown_as_text(
    browser: FlaskClient, add_blog: Any, session: Session
) -> None:
    blog = add_blog(f"Name {SCRIPT}", description=SCRIPT, tags=["tag"])
    blog.last_error = SCRIPT
    session.commit()
    tokens.create_token(session, f"tok {SCRIPT}")
    session.commit()
    for path in (
        "/admin/",
        f"/admin/blogs/{blog.id}/edit",
        f"/admin/blogs/{blog.id}/remove",
        "/admin/tokens",
    ):
        html = browser.get(path).get_data(as_text=True)
        assert SCRIPT not in html, path
        assert "&lt;script&gt;" in html, path
    # And what a keeper types into a form comes back escaped too.
    response = _post(
        browser,
        "/admin/blogs/new",
        {"name": SCRIPT, "feed_url": f"https://x.example/{SCRIPT}"},
        page="/admin/blogs/new",
    )
    assert SCRIPT not in response.get_data(as_text=True)
