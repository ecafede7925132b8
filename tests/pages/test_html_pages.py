"""The pages a reader sees: the home page, a blog's page, paging, escaping and HTML error pages."""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blogroll import create_app
from blogroll.storage.db import get_database
from tests.helpers.html_page import Page, follow_older_links, small_pages
from tests.helpers.ports import free_port
from tests.helpers.settings import make_settings

GetPage = Callable[..., Page]


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 1, hour, minute, tzinfo=dt.UTC)


ENTRY_TITLES = ".//ol[@class='entries']/li/h3"
ENTRY_META = ".//ol[@class='entries']/li/p[@class='meta']"
BLOGROLL_SITES = ".//aside[@class='blogroll']//li/a[1]"
BLOGROLL_POSTS = ".//aside[@class='blogroll']//li/a[2]"
ERROR_TITLE = ".//section[@class='error']/h1"
ERROR_MESSAGE = ".//section[@class='error']/p[1]"


def test_home_page_greets_the_reader(get_page: GetPage) -> None:
    page = get_page("/")
    assert page.text(".//title") == "Blogroll"
    assert page.text(".//h1") == "Hello from the tests!"


def test_home_page_lists_the_blogroll_alphabetically_linking_to_each_site(
    get_page: GetPage, add_blog: Any
) -> None:
    zeta = add_blog("Zeta Notes", site_url="https://zeta.example/")
    alpha = add_blog("alpha log", site_url="https://alpha.example/")
    feed_only = add_blog("Beta", site_url=None, feed_url="https://beta.example/feed.xml")

    page = get_page("/")

    assert page.links(BLOGROLL_SITES) == [
        ("alpha log", "https://alpha.example/"),
        ("Beta", f"/blogs/{feed_only.id}"),  # no website: its page here, not raw feed XML
        ("Zeta Notes", "https://zeta.example/"),
    ]
    assert page.links(BLOGROLL_POSTS) == [
        ("posts", f"/blogs/{alpha.id}"),
        ("posts", f"/blogs/{feed_only.id}"),
        ("posts", f"/blogs/{zeta.id}"),
    ]
    assert [a.get("aria-label") for a in page.findall(BLOGROLL_POSTS)] == [
        "Posts from alpha log",
        "Posts from Beta",
        "Posts from Zeta Notes",
    ]


def test_home_page_shows_the_latest_entries_newest_first(
    get_page: GetPage, add_blog: Any, add_entry: Any
) -> None:
    alpha = add_blog("Alpha")
    beta = add_blog("Beta")
    add_entry(alpha, "Alpha's first", published_at=at(9), author="Ann", link="https://alpha.example/1")
    add_entry(beta, "Beta's only", published_at=at(11), link="https://beta.example/only")
    add_entry(alpha, "Alpha's second", published_at=at(10, 30), link="https://alpha.example/2")

    page = get_page("/")

    assert page.text(".//section[@class='latest']/h2") == "Latest posts"
    assert page.links(ENTRY_TITLES + "/a") == [
        ("Beta's only", "https://beta.example/only"),
        ("Alpha's second", "https://alpha.example/2"),
        ("Alpha's first", "https://alpha.example/1"),
    ]
    assert page.texts(ENTRY_META) == [
        "Beta · Mar 1, 2026, 11:00 AM UTC",
        "Alpha · Mar 1, 2026, 10:30 AM UTC",
        "Alpha · Ann · Mar 1, 2026, 9:00 AM UTC",
    ]
    assert page.links(ENTRY_META + "/a") == [
        ("Beta", f"/blogs/{beta.id}"),
        ("Alpha", f"/blogs/{alpha.id}"),
        ("Alpha", f"/blogs/{alpha.id}"),
    ]
    assert [time.get("datetime") for time in page.findall(ENTRY_META + "/time")] == [
        "2026-03-01T11:00:00Z",
        "2026-03-01T10:30:00Z",
        "2026-03-01T09:00:00Z",
    ]
    assert page.findall(".//nav[@class='pager']") == []


def test_an_empty_blogroll_says_how_to_start(get_page: GetPage) -> None:
    page = get_page("/")
    assert page.texts(".//p[@class='empty']") == [
        "No posts yet. The feed worker brings them in as it fetches each blog.",
        "No blogs yet. Add one with blogroll blogs add or the API.",
    ]


def test_pages_fit_a_phone_screen(get_page: GetPage, add_blog: Any) -> None:
    blog = add_blog("Alpha")
    for path in ("/", f"/blogs/{blog.id}", "/no-such-page"):
        page = get_page(path, status=404 if path == "/no-such-page" else 200)
        viewport = page.find(".//head/meta[@name='viewport']")
        assert viewport.get("content") == "width=device-width, initial-scale=1"
        assert page.find(".//head/link[@rel='stylesheet']").get("href") == "/static/style.css"


def test_pages_have_no_inline_styles_or_scripts(get_page: GetPage, add_blog: Any, add_entry: Any) -> None:
    """A strict Content-Security-Policy will forbid both."""
    blog = add_blog("Alpha")
    add_entry(blog, "A post", summary="<p>Hello</p>")
    for path in ("/", f"/blogs/{blog.id}", "/no-such-page"):
        page = get_page(path, status=404 if path == "/no-such-page" else 200)
        assert page.findall(".//script") == []
        assert page.findall(".//style") == []
        assert page.findall(".//*[@style]") == []


def head_links(page: Page, rel: str) -> list[tuple[str, str, str]]:
    return [
        (link.get("type", ""), link.get("href", ""), link.get("title", ""))
        for link in page.findall(f".//head/link[@rel='{rel}']")
    ]


def test_every_page_links_the_feeds_and_the_blogroll_for_feed_readers(
    get_page: GetPage, add_blog: Any
) -> None:
    blog = add_blog("Tagged", tags=["python"])
    for path, status in (("/", 200), (f"/blogs/{blog.id}", 200), ("/tags/", 200), ("/nope", 404)):
        page = get_page(path, status=status)
        assert head_links(page, "alternate")[:2] == [
            ("application/atom+xml", "/feed.atom", "Blogroll: latest posts"),
            ("application/feed+json", "/feed.json", "Blogroll: latest posts"),
        ], path
        assert head_links(page, "blogroll") == [("text/xml", "/blogroll.opml", "Blogroll: the blogroll")], (
            path
        )
        assert page.links(".//header/nav[@aria-label='Site']/a") == [
            ("Tags", "/tags/"),
            ("Atom", "/feed.atom"),
            ("JSON Feed", "/feed.json"),
            ("OPML", "/blogroll.opml"),
            ("API", "/api/v1/docs"),
            ("Suggest a blog", "/submit"),
        ]


def test_older_posts_pages_through_every_entry_exactly_once(
    app: Flask, get_page: GetPage, add_blog: Any, add_entry: Any
) -> None:
    small_pages(app, 2)
    alpha = add_blog("Alpha")
    beta = add_blog("Beta")
    # e3 and e4 share a time across the first page's end: the cursor must break the tie by id.
    add_entry(alpha, "e1", published_at=at(1))
    add_entry(beta, "e2", published_at=at(2))
    add_entry(alpha, "e3", published_at=at(3))
    add_entry(beta, "e4", published_at=at(3))
    add_entry(alpha, "e5", published_at=at(4))

    pages = follow_older_links(get_page, "/")

    assert [page.texts(ENTRY_TITLES) for page in pages] == [["e5", "e4"], ["e3", "e2"], ["e1"]]
    assert [page.text(".//section[@class='latest']/h2") for page in pages] == [
        "Latest posts",
        "Older posts",
        "Older posts",
    ]
    assert [page.links(".//nav[@class='pager']/a") for page in pages] == [
        [("Older posts →", pages[1].path)],
        [("← Newest posts", "/"), ("Older posts →", pages[2].path)],
        [("← Newest posts", "/")],
    ]
    assert pages[1].path.startswith("/?before=")


def test_a_page_link_that_was_tampered_with_is_a_400_page(get_page: GetPage, add_blog: Any) -> None:
    blog = add_blog("Alpha")
    for path in ("/?before=not-a-cursor", f"/blogs/{blog.id}?before=bm90LWEtZGF0ZXwx"):
        page = get_page(path, status=400)
        assert page.text(".//title") == "Bad Request · Blogroll"
        assert page.text(ERROR_TITLE) == "400 Bad Request"
        assert page.text(ERROR_MESSAGE) == "That page link is not valid. Start again from the first page."


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "forged",
    [
        "0001-01-01T00:00:00+14:00|1",  # before year 1 once made UTC
        "2026-03-01T00:00:00+00:00|99999999999999999999999",  # no database integer is that big
        "2026-03-01T00:00:00|1",  # no time zone
    ],
)
def test_a_forged_cursor_is_a_400_page(get_page: GetPage, forged: str) -> None:
    page = get_page("/?before=" + _cursor(forged), status=400)
    assert page.text(ERROR_MESSAGE) == "That page link is not valid. Start again from the first page."


def test_blog_page_shows_the_blog_and_only_its_entries(
    get_page: GetPage, add_blog: Any, add_entry: Any
) -> None:
    alpha = add_blog(
        "Alpha",
        site_url="https://alpha.example/",
        feed_url="https://alpha.example/feed.xml",
        description="Notes on gardening.",
        tags=["plants", "diy"],
    )
    beta = add_blog("Beta")
    add_entry(alpha, "Alpha's first", published_at=at(9), link="https://alpha.example/1")
    add_entry(beta, "Beta's only", published_at=at(11))
    add_entry(alpha, "Alpha's second", published_at=at(10), link="https://alpha.example/2")

    page = get_page(f"/blogs/{alpha.id}")

    assert page.text(".//title") == "Alpha · Blogroll"
    assert page.text(".//main//h1") == "Alpha"
    assert page.text(".//p[@class='description']") == "Notes on gardening."
    assert page.links(".//article[@class='blog']/p[@class='meta']/a") == [
        ("Website", "https://alpha.example/"),
        ("Feed", "https://alpha.example/feed.xml"),
        ("diy", "/tags/diy"),
        ("plants", "/tags/plants"),
    ]
    assert page.links(".//article[@class='blog']//a[@class='tag']") == [
        ("diy", "/tags/diy"),
        ("plants", "/tags/plants"),
    ]
    assert page.text(".//p[@class='fetch']") == "Not fetched yet."
    assert page.links(ENTRY_TITLES + "/a") == [
        ("Alpha's second", "https://alpha.example/2"),
        ("Alpha's first", "https://alpha.example/1"),
    ]
    assert page.texts(ENTRY_META) == ["Mar 1, 2026, 10:00 AM UTC", "Mar 1, 2026, 9:00 AM UTC"]


def test_blog_page_shows_the_fetch_state(get_page: GetPage, add_blog: Any, session: Any) -> None:
    fetched = add_blog("Fetched")
    failing = add_blog("Failing")
    paused = add_blog("Paused")
    fetched.last_fetched_at = at(8)
    failing.last_fetched_at = at(8, 15)
    failing.last_error = "HTTP 503"
    paused.enabled = False
    paused.last_error = "HTTP 410: the feed is gone"
    session.commit()

    assert get_page(f"/blogs/{fetched.id}").text(".//p[@class='fetch']") == (
        "Last fetched Mar 1, 2026, 8:00 AM UTC."
    )
    assert get_page(f"/blogs/{failing.id}").text(".//p[@class='fetch']") == (
        "Last fetched Mar 1, 2026, 8:15 AM UTC (HTTP 503)."
    )
    assert get_page(f"/blogs/{paused.id}").text(".//p[@class='fetch']") == (
        "Fetching is paused: HTTP 410: the feed is gone."
    )


def test_blog_page_pages_through_its_entries(
    app: Flask, get_page: GetPage, add_blog: Any, add_entry: Any
) -> None:
    small_pages(app, 2)
    alpha = add_blog("Alpha")
    beta = add_blog("Beta")
    for hour in range(1, 6):
        add_entry(alpha, f"a{hour}", published_at=at(hour))
        add_entry(beta, f"b{hour}", published_at=at(hour))

    pages = follow_older_links(get_page, f"/blogs/{alpha.id}")

    assert [page.texts(ENTRY_TITLES) for page in pages] == [["a5", "a4"], ["a3", "a2"], ["a1"]]
    assert [page.text(".//section[@class='posts']/h2") for page in pages] == [
        "Posts",
        "Older posts",
        "Older posts",
    ]
    assert pages[1].path.startswith(f"/blogs/{alpha.id}?before=")
    assert pages[2].links(".//nav[@class='pager']/a") == [("← Newest posts", f"/blogs/{alpha.id}")]


def test_a_blog_without_entries_says_so(get_page: GetPage, add_blog: Any) -> None:
    blog = add_blog("Quiet")
    page = get_page(f"/blogs/{blog.id}")
    assert page.texts(".//p[@class='empty']") == [
        "No posts yet. The feed worker brings them in as it fetches each blog."
    ]


@pytest.mark.parametrize("path", ["/blogs/999999", "/blogs/not-a-number", "/no-such-page"])
def test_unknown_pages_are_404_html_pages(get_page: GetPage, path: str) -> None:
    page = get_page(path, status=404)
    assert page.text(".//title") == "Not Found · Blogroll"
    assert page.text(ERROR_TITLE) == "404 Not Found"
    assert page.links(".//section[@class='error']//a") == [("Back to the blogroll", "/")]


def test_unknown_blog_page_names_the_id(get_page: GetPage) -> None:
    assert get_page("/blogs/999999", status=404).text(ERROR_MESSAGE) == "There is no blog with id 999999."


def test_a_wrong_method_is_a_405_html_page(client: FlaskClient) -> None:
    response = client.post("/")
    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert Page(response.text).text(ERROR_TITLE) == "405 Method Not Allowed"


def test_errors_under_the_api_stay_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.json is not None
    assert response.json["error"] == "not_found"


def test_a_database_that_is_down_gives_a_503_html_page() -> None:
    down = f"postgresql+psycopg://blogroll:secret@127.0.0.1:{free_port()}/blogroll"
    app = create_app(make_settings(down))
    response = app.test_client().get("/")
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "5"
    page = Page(response.text)
    assert page.text(ERROR_TITLE) == "503 Service Unavailable"
    assert page.text(ERROR_MESSAGE) == "the database is not answering; try again shortly"
    assert "secret" not in response.text
    get_database(app).engine.dispose()


def test_names_titles_and_authors_are_escaped(client: FlaskClient, add_blog: Any, add_entry: Any) -> None:
    blog = add_blog('<script>alert("name")</script>', description="<b>bold</b> & <i>italic</i>")
    add_entry(blog, '<script>alert("title")</script>', author="<img src=x onerror=alert(1)>")

    for path in ("/", f"/blogs/{blog.id}"):
        html = client.get(path).text
        assert "<script>" not in html
        assert "<img" not in html
        assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in html
    page = Page(client.get(f"/blogs/{blog.id}").text)
    assert page.text(".//main//h1") == '<script>alert("name")</script>'
    assert page.text(".//p[@class='description']") == "<b>bold</b> & <i>italic</i>"
    assert page.texts(ENTRY_TITLES) == ['<script>alert("title")</script>']
    assert page.texts(ENTRY_META) == ["<img src=x onerror=alert(1)> · Jan 1, 2026, 1:00 AM UTC"]


def test_stored_summaries_render_as_html(get_page: GetPage, add_blog: Any, add_entry: Any) -> None:
    """Summaries are sanitized before they are stored, so the pages show them as the blog wrote them."""
    blog = add_blog("Alpha")
    add_entry(
        blog, "Rich", summary='<p>Hello <em>world</em>, see <a href="https://alpha.example/">this</a>.</p>'
    )

    page = get_page("/")

    summary = page.find(".//ol[@class='entries']/li/div[@class='summary']")
    assert summary.find("p/em") is not None
    assert page.text(".//div[@class='summary']/p/em") == "world"
    assert page.links(".//div[@class='summary']/p/a") == [("this", "https://alpha.example/")]


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "/relative/path"]
)
def test_entry_links_that_are_not_web_addresses_are_not_links(
    client: FlaskClient, add_blog: Any, add_entry: Any, link: str
) -> None:
    blog = add_blog("Alpha")
    add_entry(blog, "Suspicious", link=link)

    html = client.get("/").text

    assert "alert" not in html
    assert "/relative/path" not in html
    page = Page(html)
    assert page.texts(ENTRY_TITLES) == ["Suspicious"]
    assert page.findall(ENTRY_TITLES + "/a") == []


@pytest.mark.parametrize("path", ["/", "/blogs/{id}", "/feed.atom"])
def test_an_unchanged_page_is_a_304(client: FlaskClient, add_blog: Any, add_entry: Any, path: str) -> None:
    """A client or proxy holding the page revalidates it with its ETag and gets no body back."""
    blog = add_blog("Alpha")
    add_entry(blog, "First", published_at=at(9))
    url = path.format(id=blog.id)
    first = client.get(url)

    unchanged = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    add_entry(blog, "Second", published_at=at(10))
    changed = client.get(url, headers={"If-None-Match": first.headers["ETag"]})

    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=0, s-maxage=1"
    assert unchanged.status_code == 304
    assert unchanged.data == b""
    assert unchanged.headers["ETag"] == first.headers["ETag"]
    assert unchanged.headers["Cache-Control"] == "public, max-age=0, s-maxage=1"
    assert changed.status_code == 200
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert "Second" in changed.text


@pytest.mark.parametrize("path", ["/", "/blogs/{id}", "/feed.atom"])
def test_an_edited_entry_or_blog_changes_the_etag(
    client: FlaskClient, session: Any, add_blog: Any, add_entry: Any, path: str
) -> None:
    """The worker edits entries in place and the API renames blogs: neither adds a row, both show."""
    blog = add_blog("Alpha", tags=["old"])
    entry = add_entry(blog, "First", published_at=at(9))
    url = path.format(id=blog.id)
    etags = [client.get(url).headers["ETag"]]

    entry.summary = "<p>Corrected.</p>"
    session.commit()
    etags.append(client.get(url).headers["ETag"])
    blog.name = "Alpha, renamed"
    session.commit()
    etags.append(client.get(url).headers["ETag"])

    assert len(set(etags)) == 3


def test_each_page_of_entries_has_its_own_etag(
    client: FlaskClient, app: Flask, add_blog: Any, add_entry: Any
) -> None:
    small_pages(app, 1)
    blog = add_blog("Alpha")
    add_entry(blog, "First", published_at=at(9))
    add_entry(blog, "Second", published_at=at(10))
    newest = client.get("/")
    older_url = Page(newest.text).links(".//nav[@class='pager']/a")[-1][1]

    older = client.get(older_url, headers={"If-None-Match": newest.headers["ETag"]})

    assert older.status_code == 200
    assert older.headers["ETag"] != newest.headers["ETag"]
    assert "First" in older.text


@pytest.mark.parametrize("path", ["/", "/blogs/{id}", "/feed.atom", "/blogroll.opml"])
def test_the_proxy_may_keep_a_page_until_the_current_second_ends(
    client: FlaskClient, add_blog: Any, add_entry: Any, path: str
) -> None:
    """nginx's X-Accel-Expires "@<epoch second>": the micro-cache keeps the answer to the end of the
    second it was made in, so no anonymous reader ever gets it more than 1 s after it was made."""
    blog = add_blog("Alpha")
    add_entry(blog, "First", published_at=at(9))
    url = path.format(id=blog.id)

    before = int(time.time())
    first = client.get(url)
    revalidated = client.get(url, headers={"If-None-Match": first.headers.get("ETag", '"none"')})
    after = int(time.time())

    assert first.status_code == 200
    assert before <= int(first.headers["X-Accel-Expires"].removeprefix("@")) <= after
    if "ETag" in first.headers:  # the proxy renews a revalidated page for the same short time
        assert revalidated.status_code == 304
        assert before <= int(revalidated.headers["X-Accel-Expires"].removeprefix("@")) <= after


def test_missing_pages_and_other_methods_are_not_kept_by_the_proxy(client: FlaskClient) -> None:
    assert "X-Accel-Expires" not in client.get("/blogs/987654").headers
    assert "X-Accel-Expires" not in client.delete("/").headers
