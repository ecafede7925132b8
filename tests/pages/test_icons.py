"""Blog icons come from Blogroll's own origin: the address serving a stored icon (its headers, 304s
and 404s), and the pages that show it beside a blog's name, never linking the blog's own site."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from blogroll.storage.models import Blog, BlogIcon, utcnow
from blogroll.worker.icons import icon_digest
from tests.helpers.html_page import Page
from tests.helpers.icons import ico, png

ICON = png(32)
DIGEST = icon_digest(ICON)


@pytest.fixture
def with_icon(session: Session) -> Callable[..., str]:
    """`with_icon(blog)` stores an icon for the blog as the worker would, and returns its digest."""

    def store(blog: Blog, data: bytes = ICON, content_type: str = "image/png") -> str:
        digest = icon_digest(data)
        now = utcnow()
        session.add(
            BlogIcon(
                blog_id=blog.id,
                data=data,
                content_type=content_type,
                source_url=f"{blog.site_url}favicon.ico",
                fetched_at=now,
                checked_at=now,
            )
        )
        blog.icon_digest = digest
        session.commit()
        return digest

    return store


def test_an_icon_is_served_for_good_at_its_versioned_address(
    client: FlaskClient, add_blog: Any, with_icon: Callable[..., str]
) -> None:
    blog = add_blog("Iconic")
    with_icon(blog)

    response = client.get(f"/blogs/{blog.id}/icon/{DIGEST}")

    assert response.status_code == 200
    assert response.data == ICON
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["ETag"] == f'"{DIGEST}"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers

    again = client.get(f"/blogs/{blog.id}/icon/{DIGEST}", headers={"If-None-Match": f'"{DIGEST}"'})

    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == f'"{DIGEST}"'
    assert again.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert again.headers["X-Content-Type-Options"] == "nosniff"


def test_the_unversioned_address_follows_the_icon_daily(
    client: FlaskClient, add_blog: Any, with_icon: Callable[..., str]
) -> None:
    blog = add_blog("Iconic")
    icon = ico(png(16))
    digest = with_icon(blog, icon, "image/x-icon")

    response = client.get(f"/blogs/{blog.id}/icon")

    assert response.status_code == 200
    assert response.data == icon
    assert response.headers["Content-Type"] == "image/x-icon"
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert response.headers["ETag"] == f'"{digest}"'
    assert client.head(f"/blogs/{blog.id}/icon").status_code == 200


def test_an_icon_it_no_longer_has_redirects_to_the_current_one(
    client: FlaskClient, add_blog: Any, with_icon: Callable[..., str]
) -> None:
    blog = add_blog("Iconic")
    with_icon(blog)

    response = client.get(f"/blogs/{blog.id}/icon/{'0' * 32}")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/blogs/{blog.id}/icon/{DIGEST}"
    assert response.headers["Cache-Control"] == "public, max-age=0, s-maxage=1"


@pytest.mark.parametrize("path", ["/blogs/{id}/icon", "/blogs/{id}/icon/{digest}", "/blogs/999999/icon"])
def test_no_icon_is_a_404(client: FlaskClient, add_blog: Any, path: str) -> None:
    blog = add_blog("Plain")

    response = client.get(path.format(id=blog.id, digest=DIGEST))

    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_an_icon_the_last_check_dropped_is_a_404(
    client: FlaskClient, session: Session, add_blog: Any, with_icon: Callable[..., str]
) -> None:
    blog = add_blog("Was iconic")
    with_icon(blog)
    row = session.get(BlogIcon, blog.id)
    assert row is not None
    row.data = row.content_type = None
    session.commit()

    assert client.get(f"/blogs/{blog.id}/icon").status_code == 404


def _icons(page: Page, path: str) -> list[dict[str, str]]:
    return [dict(img.attrib) for img in page.findall(path)]


def _local_icon(blog: Blog, size: int = 16) -> dict[str, str]:
    return {
        "class": "icon",
        "src": f"/blogs/{blog.id}/icon/{DIGEST}",
        "width": str(size),
        "height": str(size),
        "alt": "",
        "loading": "lazy",
    }


def test_pages_show_the_icon_beside_the_blogs_name_from_here(
    get_page: Callable[..., Page], add_blog: Any, with_icon: Callable[..., str]
) -> None:
    iconic = add_blog("Iconic", tags=["python"])
    plain = add_blog("Plain", tags=["python"])
    with_icon(iconic)

    for path in ("/", "/tags/python"):
        page = get_page(path)
        items = page.findall(".//aside//li")
        assert [item.find("a/img") is not None for item in items] == [True, False]
        assert _icons(page, ".//aside//li/a/img") == [_local_icon(iconic)]
        assert page.texts(".//aside//li/a[1]") == ["Iconic", "Plain"]
    blog_page = get_page(f"/blogs/{iconic.id}")
    assert _icons(blog_page, ".//article//h1/img") == [_local_icon(iconic, 32)]
    assert get_page(f"/blogs/{plain.id}").findall(".//img") == []
    # Never the blog's own site, nor its icon's address there.
    for page in (get_page("/"), get_page("/tags/python"), blog_page):
        sources = [img.get("src", "") for img in page.findall(".//img")]
        assert all(source.startswith("/blogs/") for source in sources)
        assert "favicon.ico" not in page.html


def test_the_admin_blog_list_shows_icons_too(
    browser: FlaskClient, add_blog: Any, with_icon: Callable[..., str]
) -> None:
    iconic = add_blog("Iconic")
    add_blog("Plain")
    with_icon(iconic)

    page = Page(browser.get("/admin/").get_data(as_text=True))

    assert _icons(page, ".//table//th/a/img") == [_local_icon(iconic)]
