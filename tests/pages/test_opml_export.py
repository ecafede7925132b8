"""`GET /blogroll.opml`: every blog as OPML, which feed readers and Blogroll's own import read back."""

from __future__ import annotations

from typing import Any

from defusedxml.ElementTree import fromstring
from flask.testing import FlaskClient

from blogroll.opml import parse_opml
from blogroll.storage.blogs import NewBlog


def add_three_blogs(add_blog: Any) -> None:
    add_blog(
        "Zeta Notes",
        feed_url="https://zeta.example/feed.xml",
        site_url="https://zeta.example/",
        description="Notes on everything & more.",
        tags=["python", "web dev"],
    )
    add_blog("alpha log", feed_url="https://alpha.example/atom", site_url=None)
    add_blog(
        "Beta <3", feed_url="https://beta.example/rss?format=xml&full=1", site_url="https://beta.example/"
    )


def test_opml_export_lists_every_blog(client: FlaskClient, add_blog: Any) -> None:
    add_three_blogs(add_blog)

    response = client.get("/blogroll.opml")

    assert response.status_code == 200
    assert response.mimetype == "text/x-opml"
    assert response.headers["Content-Disposition"] == 'inline; filename="blogroll.opml"'
    root = fromstring(response.data)
    assert root.tag == "opml"
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == "Blogroll"
    assert [outline.attrib for outline in root.findall("body/outline")] == [
        {
            "type": "rss",
            "text": "alpha log",
            "title": "alpha log",
            "xmlUrl": "https://alpha.example/atom",
        },
        {
            "type": "rss",
            "text": "Beta <3",
            "title": "Beta <3",
            "xmlUrl": "https://beta.example/rss?format=xml&full=1",
            "htmlUrl": "https://beta.example/",
        },
        {
            "type": "rss",
            "text": "Zeta Notes",
            "title": "Zeta Notes",
            "xmlUrl": "https://zeta.example/feed.xml",
            "htmlUrl": "https://zeta.example/",
            "description": "Notes on everything & more.",
            "category": "python,web dev",
        },
    ]


def test_opml_export_reads_back_as_the_same_blogs(client: FlaskClient, add_blog: Any) -> None:
    add_three_blogs(add_blog)

    parsed = parse_opml(client.get("/blogroll.opml").data).blogs

    assert parsed == [
        NewBlog(name="alpha log", feed_url="https://alpha.example/atom", tags=[]),
        NewBlog(
            name="Beta <3",
            feed_url="https://beta.example/rss?format=xml&full=1",
            site_url="https://beta.example/",
            tags=[],
        ),
        NewBlog(
            name="Zeta Notes",
            feed_url="https://zeta.example/feed.xml",
            site_url="https://zeta.example/",
            description="Notes on everything & more.",
            tags=["python", "web dev"],
        ),
    ]


def test_opml_export_of_an_empty_blogroll_is_valid_opml(client: FlaskClient) -> None:
    data = client.get("/blogroll.opml").data
    assert fromstring(data).find("body") is not None
    assert parse_opml(data).blogs == []


def test_opml_export_leaves_out_characters_xml_cannot_hold(client: FlaskClient, add_blog: Any) -> None:
    add_blog(
        "Bell\x07 Labs", feed_url="https://bell.example/feed", site_url=None, description="Ring\x0b ring"
    )

    parsed = parse_opml(client.get("/blogroll.opml").data).blogs

    assert parsed == [
        NewBlog(name="Bell Labs", feed_url="https://bell.example/feed", description="Ring ring", tags=[])
    ]


def test_opml_import_keeps_the_order_of_the_file() -> None:
    """Folders become tags; blogs come out in the order a reader sees them in the file."""
    opml = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>Mine</title></head><body>
  <outline text="First" xmlUrl="https://first.example/feed"/>
  <outline text="Tech">
    <outline text="Second" xmlUrl="https://second.example/feed"/>
    <outline text="Python"><outline text="Third" xmlUrl="https://third.example/feed"/></outline>
  </outline>
  <outline text="Fourth" xmlUrl="https://fourth.example/feed" category="/misc/notes"/>
</body></opml>"""

    assert [(blog.name, list(blog.tags)) for blog in parse_opml(opml).blogs] == [
        ("First", []),
        ("Second", ["tech"]),
        ("Third", ["python", "tech"]),
        ("Fourth", ["misc", "notes"]),
    ]
