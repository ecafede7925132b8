"""`blogroll blogs`: add, list, import and export, in-process on a data folder of its own."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from blogroll.opml import parse_opml
from blogroll.schemas import Tag
from blogroll.storage.blogs import NewBlog
from tests.discovery.feeds import RSS_TYPE, page, rss
from tests.helpers.feed_server import FeedServer, Reply

from .invoke import Blogroll


def test_blogs_add_then_list_alphabetically(blogroll: Blogroll, migrated: None) -> None:
    added = [
        blogroll("blogs", "add", "Zeta Notes", "https://zeta.example/feed.xml"),
        blogroll(
            "blogs",
            "add",
            "alpha log",
            "https://alpha.example/atom",
            "--site-url",
            "https://alpha.example/",
            "--description",
            "Notes.",
            "--tag",
            "Python",
            "--tag",
            "web",
        ),
    ]

    assert [result.exit_code for result in added] == [0, 0]
    assert [result.output for result in added] == [
        "Added blog 1: Zeta Notes (https://zeta.example/feed.xml)\n",
        "Added blog 2: alpha log (https://alpha.example/atom)\n",
    ]
    listed = blogroll("blogs", "list")
    assert listed.exit_code == 0
    assert listed.output == (
        "    2  alpha log  https://alpha.example/atom\n    1  Zeta Notes  https://zeta.example/feed.xml\n"
    )


def test_blogs_list_json_has_the_api_shape(blogroll: Blogroll, migrated: None) -> None:
    blogroll("blogs", "add", "Alpha", "https://alpha.example/feed", "--site-url", "https://alpha.example/")
    blogroll("blogs", "add", "Beta", "https://beta.example/feed", "--tag", "Web", "--tag", "python")

    result = blogroll("blogs", "list", "--json")

    assert result.exit_code == 0
    blogs = json.loads(result.output)
    assert [
        (blog["id"], blog["name"], blog["site_url"], blog["feed_url"], blog["tags"]) for blog in blogs
    ] == [
        (1, "Alpha", "https://alpha.example/", "https://alpha.example/feed", []),
        (2, "Beta", None, "https://beta.example/feed", ["python", "web"]),
    ]
    assert list(blogs[0]) == [
        "id",
        "name",
        "site_url",
        "feed_url",
        "description",
        "tags",
        "created_at",
        "updated_at",
        "icon_url",
        "fetch",
    ]
    # The command line knows no address the site is served at, so it names no icon.
    assert blogs[0]["icon_url"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", blogs[0]["created_at"])
    assert blogs[0]["fetch"]["enabled"] is True
    assert blogs[0]["fetch"]["last_fetched_at"] is None


def test_blogs_list_of_an_empty_blogroll_says_how_to_add_one(blogroll: Blogroll, migrated: None) -> None:
    assert blogroll("blogs", "list").output == (
        "No blogs yet; add one with `blogroll blogs add NAME FEED_URL`.\n"
    )
    assert blogroll("blogs", "list", "--json").output == "[]\n"


def test_a_feed_already_in_the_blogroll_is_refused(blogroll: Blogroll, migrated: None) -> None:
    blogroll("blogs", "add", "Alpha", "https://alpha.example/feed")

    result = blogroll("blogs", "add", "Another name", "https://alpha.example/feed")

    assert result.exit_code == 1
    assert result.output == "Error: a blog with feed_url https://alpha.example/feed already exists\n"
    assert blogroll("blogs", "list").output == "    1  Alpha  https://alpha.example/feed\n"


def test_two_blogs_may_share_a_name(blogroll: Blogroll, migrated: None) -> None:
    """Only feeds are unique: two people may well call their blogs "Notes"."""
    assert blogroll("blogs", "add", "Notes", "https://ann.example/feed").exit_code == 0
    assert blogroll("blogs", "add", "Notes", "https://bob.example/feed").exit_code == 0
    assert blogroll("blogs", "list").output == (
        "    1  Notes  https://ann.example/feed\n    2  Notes  https://bob.example/feed\n"
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["Alpha", "not a url"],
            "Error: feed_url: Input should be a valid URL, relative URL without a base\n",
        ),
        (["Alpha", "ftp://alpha.example/feed"], "Error: feed_url: URL scheme should be 'http' or 'https'\n"),
        (["Alpha", "javascript:alert(1)"], "Error: feed_url: URL scheme should be 'http' or 'https'\n"),
        (
            ["Alpha", "https://alpha.example/feed", "--site-url", "file:///etc/passwd"],
            "Error: site_url: URL scheme should be 'http' or 'https'\n",
        ),
        (["   ", "https://alpha.example/feed"], "Error: name: String should have at least 1 character\n"),
        (
            ["Alpha", "https://alpha.example/feed", "--tag", "no/slashes"],
            f"Error: tags.0: String should match pattern '{TypeAdapter(Tag).json_schema()['pattern']}'\n",
        ),
    ],
)
def test_invalid_blogs_are_refused_in_one_readable_line(
    blogroll: Blogroll, migrated: None, arguments: list[str], message: str
) -> None:
    result = blogroll("blogs", "add", *arguments)
    assert result.exit_code == 1
    assert result.output == message
    assert blogroll("blogs", "list", "--json").output == "[]\n"


POSTS = [("A post", "Tue, 06 Jan 2026 10:00:00 GMT")]


def _serve_site(feed_server: FeedServer) -> tuple[str, str]:
    """A site whose page links its RSS feed, on the fixture server; returns (site, feed)."""
    feed = feed_server.route(
        "/feed.xml", Reply(body=rss("Ann's notes", POSTS), headers={"Content-Type": RSS_TYPE})
    )
    link = '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
    site = feed_server.route("/", Reply(body=page(f"<title>Ann</title>{link}")))
    return site, feed


def test_blogs_add_by_site_address_finds_the_feed(
    blogroll: Blogroll, migrated: None, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLOGROLL_ALLOW_PRIVATE_FEEDS", "true")
    site, feed = _serve_site(feed_server)

    result = blogroll("blogs", "add", site, "--tag", "Python")

    assert result.exit_code == 0, result.output
    assert result.output == (
        f"Found the feed {feed}: the feed the page links.\nAdded blog 1: Ann's notes ({feed})\n"
    )
    [blog] = json.loads(blogroll("blogs", "list", "--json").output)
    assert (blog["name"], blog["site_url"], blog["feed_url"], blog["tags"]) == (
        "Ann's notes",
        site,
        feed,
        ["python"],
    )


def test_blogs_add_by_site_address_takes_a_name(
    blogroll: Blogroll, migrated: None, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLOGROLL_ALLOW_PRIVATE_FEEDS", "true")
    site, feed = _serve_site(feed_server)

    result = blogroll("blogs", "add", site, "--name", "Ann")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"Added blog 1: Ann ({feed})"


def test_blogs_add_by_site_address_without_a_feed_says_why(
    blogroll: Blogroll, migrated: None, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BLOGROLL_ALLOW_PRIVATE_FEEDS", "true")
    site = feed_server.route("/", Reply(body=page("<title>Nothing</title>")))

    result = blogroll("blogs", "add", site)

    assert result.exit_code == 1
    assert result.output == (
        f"Error: no feed found at {site}: the page links no feed, "
        "and none of /feed, /feed.xml, /rss.xml, /atom.xml, /index.xml is one\n"
    )
    assert blogroll("blogs", "list", "--json").output == "[]\n"


def test_blogs_add_by_site_address_refuses_a_private_one_by_default(
    blogroll: Blogroll, migrated: None, feed_server: FeedServer
) -> None:
    site, _feed = _serve_site(feed_server)

    result = blogroll("blogs", "add", site)

    assert result.exit_code == 1
    assert result.output.startswith(f"Error: no feed found at {site}: the page could not be fetched: ")
    assert feed_server.hits == {}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["Alpha", "https://alpha.example/feed", "--name", "Beta"],
            "Error: give the name once: as NAME, or with --name and URL alone",
        ),
        (
            ["https://alpha.example/", "--site-url", "https://alpha.example/"],
            "Error: with URL alone, URL is the site's address: leave out --site-url",
        ),
    ],
)
def test_blogs_add_refuses_a_name_or_site_given_twice(
    blogroll: Blogroll, migrated: None, arguments: list[str], message: str
) -> None:
    result = blogroll("blogs", "add", *arguments)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == message


OPML = """<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0">
  <head><title>Friends</title></head>
  <body>
    <outline text="Alpha" xmlUrl="https://alpha.example/feed" htmlUrl="https://alpha.example/"/>
    <outline text="Tech">
      <outline text="Beta" xmlUrl="https://beta.example/feed" category="python"/>
    </outline>
  </body>
</opml>
"""


def test_blogs_import_adds_new_feeds_once_and_export_gives_them_back(
    blogroll: Blogroll, migrated: None, tmp_path: Path
) -> None:
    source = tmp_path / "friends.opml"
    source.write_text(OPML)

    first = blogroll("blogs", "import", str(source))
    again = blogroll("blogs", "import", str(source))
    exported = blogroll("blogs", "export")

    assert first.exit_code == again.exit_code == exported.exit_code == 0
    assert first.output == "Imported 2 blog(s); skipped 0 already known; refused 0.\n"
    assert again.output == "Imported 0 blog(s); skipped 2 already known; refused 0.\n"
    assert parse_opml(exported.stdout_bytes).blogs == [
        NewBlog(
            name="Alpha", feed_url="https://alpha.example/feed", site_url="https://alpha.example/", tags=[]
        ),
        NewBlog(name="Beta", feed_url="https://beta.example/feed", tags=["python", "tech"]),
    ]


def test_blogs_import_reads_stdin_and_export_writes_a_file(
    blogroll: Blogroll, migrated: None, tmp_path: Path
) -> None:
    assert blogroll("blogs", "import", "-", input=OPML).output == (
        "Imported 2 blog(s); skipped 0 already known; refused 0.\n"
    )

    target = tmp_path / "out.opml"
    result = blogroll("blogs", "export", str(target))

    assert result.exit_code == 0
    assert result.output == ""
    assert [blog.name for blog in parse_opml(target.read_bytes()).blogs] == ["Alpha", "Beta"]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<opml version="2.0"><body><outline text="&lol2;" xmlUrl="https://lol.example/feed"/></body></opml>
"""

INVALID_OUTLINES = """<opml version="2.0"><body>
  <outline text="Good" xmlUrl="https://good.example/feed"/>
  <outline text="Bad" xmlUrl="ftp://bad.example/feed"/>
</body></opml>
"""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            BILLION_LAUGHS,
            "Error: cannot import {file}: the file declares a DTD; "
            "Blogroll refuses DTDs, so entities cannot be expanded\n",
        ),
        (
            "<opml><body>",
            "Error: cannot import {file}: the file is not well-formed XML (line 1, column 12)\n",
        ),
        (
            "<html><body/></html>",
            "Error: cannot import {file}: not an OPML file: the root element must be <opml>\n",
        ),
    ],
)
def test_blogs_import_of_a_bad_file_explains_and_changes_nothing(
    blogroll: Blogroll, migrated: None, tmp_path: Path, content: str, message: str
) -> None:
    source = tmp_path / "bad.opml"
    source.write_text(content)

    result = blogroll("blogs", "import", str(source))

    assert result.exit_code == 1
    assert result.output == message.format(file=source)
    assert blogroll("blogs", "list", "--json").output == "[]\n"


def test_blogs_import_refuses_bad_outlines_one_by_one(
    blogroll: Blogroll, migrated: None, tmp_path: Path
) -> None:
    source = tmp_path / "mixed.opml"
    source.write_text(INVALID_OUTLINES)

    result = blogroll("blogs", "import", str(source))

    assert result.exit_code == 0
    assert result.output == (
        "  refused Bad (ftp://bad.example/feed): the feed address (xmlUrl) must be a web address "
        "starting with http:// or https://\n"
        "Imported 1 blog(s); skipped 0 already known; refused 1.\n"
    )
    assert [blog["name"] for blog in json.loads(blogroll("blogs", "list", "--json").output)] == ["Good"]


def test_blogs_import_of_a_missing_file_is_a_usage_error(blogroll: Blogroll, migrated: None) -> None:
    result = blogroll("blogs", "import", "missing.opml")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for 'FILE': 'missing.opml': No such file or directory"
    )
