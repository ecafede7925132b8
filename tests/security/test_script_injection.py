"""Script injection in every field a page shows: escaped in the HTML, well-formed and inert in the feeds."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from blogroll.sanitize import sanitize_html
from blogroll.storage.blogs import NewBlog, create_blog
from tests.helpers.errors import assert_json_error
from tests.helpers.snapshots import Snapshot

Headers = dict[str, str]
SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
SVG = "'><svg/onload=alert(1)>"
PAYLOAD = f"{SCRIPT} {ATTRIBUTE} {SVG}"
JAVASCRIPT_URL = "javascript:alert(1)"


class _Scan(HTMLParser):
    """Collects what a browser would run: script elements, event handlers, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.dangers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "svg", "iframe", "object", "embed"):
            self.dangers.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.dangers.append(f"{tag} {name}=")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.dangers.append(f"{tag} {name}={value}")


def assert_inert(html: str, *shown: str) -> None:
    """Nothing in `html` would run, and each text in `shown` is on the page, escaped."""
    scan = _Scan()
    scan.feed(html)
    scan.close()
    assert scan.dangers == []
    for text in shown:
        assert text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in html.replace(
            "&#34;", '"'
        ).replace("&#39;", "'"), text


@pytest.fixture
def hostile(session: Session, add_entry: Any) -> Any:
    """A blog and an entry with a payload in every field a page shows, stored as a writer could."""
    blog = create_blog(
        session,
        NewBlog(
            name=f"Name {PAYLOAD}",
            feed_url="https://hostile.example/feed",
            site_url=JAVASCRIPT_URL,
            description=f"Description {PAYLOAD}",
            tags=["tag.one", "c++"],
        ),
    )
    session.commit()
    add_entry(
        blog,
        f"Title {PAYLOAD}",
        author=f"Author {PAYLOAD}",
        link=JAVASCRIPT_URL,
        # Summaries are HTML, sanitized on their way in (the worker does it); a page shows them as HTML.
        summary=sanitize_html(
            f'<p>Summary</p>{PAYLOAD}<a href="{JAVASCRIPT_URL}">x</a><b onclick="x()">b</b>'
        ),
    )
    return blog


def test_home_page(client: FlaskClient, hostile: Any) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert_inert(response.get_data(as_text=True), f"Name {PAYLOAD}", f"Title {PAYLOAD}", f"Author {PAYLOAD}")


def test_blog_page(client: FlaskClient, hostile: Any) -> None:
    response = client.get(f"/blogs/{hostile.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_inert(html, f"Name {PAYLOAD}", f"Description {PAYLOAD}", f"Title {PAYLOAD}", "tag.one", "c++")
    assert "<p>Summary</p>" in html  # sanitized HTML stays HTML


def test_settings_shown_on_pages(make_app: Callable[..., Flask], hostile: Any) -> None:
    client = make_app(greeting=f"Hi {PAYLOAD}", site_title=f"Site {PAYLOAD}").test_client()
    for path in ("/", f"/blogs/{hostile.id}", "/api/v1/docs", "/no-such-page"):
        response = client.get(path)
        assert response.status_code in (200, 404)
        assert_inert(response.get_data(as_text=True), f"Site {PAYLOAD}")
    assert_inert(client.get("/").get_data(as_text=True), f"Hi {PAYLOAD}")


def test_api_created_blogs_are_escaped_too(client: FlaskClient, auth: Headers) -> None:
    created = client.post(
        "/api/v1/blogs",
        json={"name": PAYLOAD, "description": PAYLOAD, "feed_url": "https://api.example/feed"},
        headers=auth,
    )
    assert created.status_code == 201
    assert created.json["name"] == PAYLOAD  # the API hands data back as it was given; pages escape it
    assert_inert(client.get("/").get_data(as_text=True), PAYLOAD)
    assert_inert(client.get(f"/blogs/{created.json['id']}").get_data(as_text=True), PAYLOAD)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tags", [SCRIPT]),
        ("tags", [ATTRIBUTE]),
        ("site_url", JAVASCRIPT_URL),
        ("site_url", "JaVaScRiPt:alert(1)"),
        ("site_url", "data:text/html,<script>alert(1)</script>"),
        ("feed_url", JAVASCRIPT_URL),
        ("feed_url", "vbscript:msgbox(1)"),
    ],
)
def test_fields_that_cannot_hold_markup_refuse_it(
    client: FlaskClient, auth: Headers, storage: Snapshot, field: str, value: Any
) -> None:
    before = storage()
    body = {"name": "x", "feed_url": "https://x.example/feed", field: value}
    assert_json_error(client.post("/api/v1/blogs", json=body, headers=auth), 422, "validation_failed")
    assert storage() == before


def test_atom_feed(make_app: Callable[..., Flask], hostile: Any) -> None:
    client = make_app(greeting=f"Hi {PAYLOAD}", site_title=f"Site {PAYLOAD}").test_client()
    response = client.get("/feed.atom")
    assert response.status_code == 200
    feed = fromstring(response.get_data(), forbid_dtd=True)
    atom = "{http://www.w3.org/2005/Atom}"
    assert feed.findtext(f"{atom}title") == f"Site {PAYLOAD}"
    assert feed.findtext(f"{atom}subtitle") == f"Hi {PAYLOAD}"
    entry = feed.find(f"{atom}entry")
    assert entry is not None
    assert entry.findtext(f"{atom}title") == f"Title {PAYLOAD}"
    assert entry.findtext(f"{atom}author/{atom}name") == f"Author {PAYLOAD}"
    assert entry.findtext(f"{atom}source/{atom}title") == f"Name {PAYLOAD}"
    # The summary is escaped HTML, as type="html" says: a reader renders it, and it was sanitized.
    summary = entry.find(f"{atom}summary")
    assert summary is not None and summary.get("type") == "html"
    assert_inert(summary.text or "")
    hrefs = [link.get("href") or "" for link in feed.iter(f"{atom}link")]
    assert hrefs and all(href.startswith("http") for href in hrefs)
    assert all(element.tag.startswith(atom) for element in feed.iter())


def test_opml_export(make_app: Callable[..., Flask], hostile: Any) -> None:
    client = make_app(site_title=f"Site {PAYLOAD}").test_client()
    response = client.get("/blogroll.opml")
    assert response.status_code == 200
    opml = fromstring(response.get_data(), forbid_dtd=True)
    assert opml.findtext("head/title") == f"Site {PAYLOAD}"
    outline = opml.find("body/outline")
    assert outline is not None
    assert outline.get("text") == f"Name {PAYLOAD}"
    assert outline.get("description") == f"Description {PAYLOAD}"
    assert {element.tag for element in opml.iter()} == {
        "opml",
        "head",
        "title",
        "dateCreated",
        "body",
        "outline",
    }


@pytest.mark.parametrize(
    "base", ["javascript:alert(1)//", "data:text/html,<script>alert(1)</script>", "vbscript:x"]
)
def test_a_hostile_base_address_cannot_turn_relative_links_into_scripts(base: str) -> None:
    """A feed's xml:base decides what relative links are joined to; only http(s) results are kept."""
    cleaned = sanitize_html('<a href="x">x</a><img src="y" alt="y">', base_url=base)

    assert "href" not in cleaned and "src" not in cleaned and "script" not in cleaned


def test_relative_links_become_absolute_against_the_base() -> None:
    cleaned = sanitize_html(
        '<a href="../about">a</a><img src="cat.png" alt="c"><a href="mailto:me@example.org">m</a>',
        base_url="https://blog.example.org/posts/1/",
    )

    assert 'href="https://blog.example.org/posts/about"' in cleaned
    assert 'src="https://blog.example.org/posts/1/cat.png"' in cleaned
    assert 'href="mailto:me@example.org"' in cleaned
