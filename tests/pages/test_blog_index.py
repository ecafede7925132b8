"""A bounded sidebar and the whole blogroll on /blogs/: the 20 blogs added last beside the posts,
every blog alphabetically 50 a page, a tag's blogs, in English and Spanish."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from tests.helpers.html_page import Page
from tests.helpers.reads import grow_blogroll

GetPage = Callable[..., Page]
SIDEBAR = ".//aside[@class='blogroll']//li/a[1]"
ROLL = ".//ul[@class='blogs']/li/a[1]"
PAGER = ".//nav[@class='pager']/a"


def names(count: int, first: int = 1) -> list[str]:
    return [f"Blog {number:05}" for number in range(first, first + count)]


def test_the_sidebar_shows_the_20_blogs_added_last_and_links_to_all(
    get_page: GetPage, session: Session
) -> None:
    grow_blogroll(session, first=1, count=25)

    page = get_page("/")

    assert page.texts(SIDEBAR) == names(20, first=6)
    assert page.links(".//aside[@class='blogroll']/p[@class='all']/a") == [("All blogs →", "/blogs/")]


def test_entries_name_their_blog_even_when_it_is_not_in_the_sidebar(
    get_page: GetPage, session: Session
) -> None:
    grow_blogroll(session, first=1, count=25)

    page = get_page("/")

    # Blog 1 has the newest posts but was added first: it is not among the 20 added last.
    assert "Blog 00001" not in page.texts(SIDEBAR)
    assert page.links(".//ol[@class='entries']/li/p[@class='meta']/a")[:2] == [
        ("Blog 00001", "/blogs/1"),
        ("Blog 00001", "/blogs/1"),
    ]


def test_all_blogs_are_listed_alphabetically_50_a_page(get_page: GetPage, session: Session) -> None:
    grow_blogroll(session, first=1, count=120)

    first = get_page("/blogs/")
    second = get_page("/blogs/?page=2")
    third = get_page("/blogs/?page=3")

    assert first.text(".//h1") == "All blogs"
    assert first.text(".//h2") == "Blogs 1 to 50"
    assert first.texts(ROLL) == names(50)
    assert first.links(PAGER) == [("Next blogs →", "/blogs/?page=2")]
    assert second.texts(ROLL) == names(50, first=51)
    assert second.links(PAGER) == [("← Previous blogs", "/blogs/?page=1"), ("Next blogs →", "/blogs/?page=3")]
    assert third.texts(ROLL) == names(20, first=101)
    assert third.links(PAGER) == [("← Previous blogs", "/blogs/?page=2")]
    # Each blog links to its site and, with its "posts" link, to its page here.
    assert first.links(".//ul[@class='blogs']/li/a[2]")[0] == ("posts", "/blogs/1")


def test_a_tags_blogs_are_paged_with_the_tag_kept(get_page: GetPage, session: Session) -> None:
    grow_blogroll(session, first=1, count=180)  # every third blog is tagged "python" (60)

    first = get_page("/blogs/?tag=python")
    second = get_page("/blogs/?tag=python&page=2")

    python = [f"Blog {number:05}" for number in range(3, 181, 3)]
    assert first.text(".//title") == "Blogs tagged python · Blogroll"
    assert first.texts(ROLL) == python[:50]
    assert first.links(PAGER) == [("Next blogs →", "/blogs/?page=2&tag=python")]
    assert second.texts(ROLL) == python[50:]
    assert get_page("/tags/python").links(".//aside[@class='blogroll']/p[@class='all']/a") == [
        ("All blogs →", "/blogs/?tag=python")
    ]


def test_the_blog_list_speaks_spanish(get_page: GetPage, session: Session) -> None:
    grow_blogroll(session, first=1, count=60)

    page = get_page("/blogs/?lang=es")

    assert page.text(".//h1") == "Todos los blogs"
    assert page.text(".//h2") == "Blogs 1 a 50"
    assert page.texts(PAGER) == ["Blogs siguientes →"]
    assert page.texts(".//aside[@class='blogroll']/p[@class='all']/a") == []
    assert get_page("/?lang=es").texts(".//aside[@class='blogroll']/p[@class='all']/a") == [
        "Todos los blogs →"
    ]
    assert get_page("/blogs/?page=2&lang=es").texts(PAGER) == ["← Blogs anteriores"]


def test_a_bad_page_number_is_a_readable_400(get_page: GetPage, session: Session) -> None:
    grow_blogroll(session, first=1, count=3)
    for bad in ("0", "-1", "two", "1.5", "99999999999"):
        page = get_page(f"/blogs/?page={bad}", status=400)
        assert page.text(".//section[@class='error']/p[1]") == (
            "That page number is not valid: pages are numbered from 1."
        )
    spanish = get_page("/blogs/?page=x&lang=es", status=400)
    assert spanish.text(".//section[@class='error']/p[1]") == (
        "Ese número de página no es válido: las páginas se numeran desde 1."
    )


def test_a_page_past_the_end_or_an_unknown_tag_is_a_404(get_page: GetPage, session: Session) -> None:
    grow_blogroll(session, first=1, count=3)
    assert get_page("/blogs/?page=2", status=404).text(".//section[@class='error']/p[1]") == (
        "There is no page 2 of this list."
    )
    get_page("/blogs/?tag=nothing", status=404)


def test_an_empty_blogroll_page_says_how_to_start(get_page: GetPage) -> None:
    page = get_page("/blogs/")
    assert page.texts(".//p[@class='empty']") == ["No blogs yet. Add one with blogroll blogs add or the API."]
    assert page.findall(PAGER) == []
