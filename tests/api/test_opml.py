"""OPML in and out: imports that are idempotent, hostile files refused whole, exports that round-trip."""

import io
from collections.abc import Callable
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from blogroll.opml import MAX_DEPTH
from blogroll.storage.models import Blog

Headers = dict[str, str]
IMPORT = "/api/v1/blogs/import"

BLOGROLL = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Friends</title></head>
  <body>
    <outline text="Tech">
      <outline text="Python">
        <outline type="rss" text="Snake News" title="Snake News" xmlUrl="https://snake.example/feed"
                 htmlUrl="https://snake.example/" description="All about snakes." category="/web,Async"/>
      </outline>
      <outline type="rss" text="Rusty" xmlUrl="https://rust.example/atom.xml"/>
    </outline>
    <outline type="rss" title="Top level" xmlUrl="https://top.example/rss"/>
    <outline type="rss" text="Snake again" xmlUrl="https://snake.example/feed"/>
  </body>
</opml>
"""


def _blog_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Blog)) or 0


def _import(client: FlaskClient, auth: Headers, data: bytes, content_type: str = "text/x-opml") -> Any:
    return client.post(IMPORT, data=data, content_type=content_type, headers=auth)


@pytest.mark.parametrize("content_type", ["text/x-opml", "application/xml", "text/xml; charset=utf-8"])
def test_import_raw_body(client: FlaskClient, auth: Headers, content_type: str) -> None:
    response = _import(client, auth, BLOGROLL, content_type)

    assert response.status_code == 200
    assert response.json["added"] == 3
    assert response.json["skipped"] == 1
    added = {blog["feed_url"]: blog for blog in response.json["items"]}
    assert list(added) == [
        "https://snake.example/feed",
        "https://rust.example/atom.xml",
        "https://top.example/rss",
    ]
    snake = added["https://snake.example/feed"]
    assert (snake["name"], snake["site_url"], snake["description"]) == (
        "Snake News",
        "https://snake.example/",
        "All about snakes.",
    )
    assert snake["tags"] == ["async", "python", "tech", "web"]
    assert added["https://rust.example/atom.xml"]["tags"] == ["tech"]
    assert added["https://top.example/rss"]["name"] == "Top level"
    assert added["https://top.example/rss"]["tags"] == []
    listed = client.get("/api/v1/blogs").json["items"]
    assert [blog["feed_url"] for blog in listed] == list(added)


def test_import_multipart(client: FlaskClient, auth: Headers) -> None:
    response = client.post(
        IMPORT,
        data={"file": (io.BytesIO(BLOGROLL), "friends.opml", "text/x-opml")},
        content_type="multipart/form-data",
        headers=auth,
    )
    assert response.status_code == 200
    assert (response.json["added"], response.json["skipped"]) == (3, 1)


def test_import_twice_adds_nothing(client: FlaskClient, auth: Headers, session: Session) -> None:
    _import(client, auth, BLOGROLL)
    before = client.get("/api/v1/blogs").json

    again = _import(client, auth, BLOGROLL)

    assert again.status_code == 200
    assert again.json == {"added": 0, "skipped": 4, "items": [], "refused": [], "notes": []}
    assert client.get("/api/v1/blogs").json == before
    assert _blog_count(session) == 3


def test_import_skips_feeds_added_by_hand(client: FlaskClient, auth: Headers, add_blog: Any) -> None:
    add_blog("Mine", feed_url="https://rust.example/atom.xml")
    response = _import(client, auth, BLOGROLL)
    assert (response.json["added"], response.json["skipped"]) == (2, 2)
    names = [blog["name"] for blog in client.get("/api/v1/blogs").json["items"]]
    assert names == ["Mine", "Snake News", "Top level"]


def test_export(client: FlaskClient, add_blog: Any) -> None:
    add_blog("beta", feed_url="https://b.example/feed", site_url="https://b.example/", tags=["x", "y"])
    add_blog("Alpha", feed_url="https://a.example/feed", site_url=None, description="First & <best>")

    response = client.get("/blogroll.opml")

    assert response.status_code == 200
    assert response.mimetype == "text/x-opml"
    root = fromstring(response.get_data())
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert [dict(outline.attrib) for outline in root.find("body")] == [
        {
            "type": "rss",
            "text": "Alpha",
            "title": "Alpha",
            "xmlUrl": "https://a.example/feed",
            "description": "First & <best>",
        },
        {
            "type": "rss",
            "text": "beta",
            "title": "beta",
            "xmlUrl": "https://b.example/feed",
            "htmlUrl": "https://b.example/",
            "category": "x,y",
        },
    ]


def test_export_round_trips_through_import(client: FlaskClient, auth: Headers, session: Session) -> None:
    _import(client, auth, BLOGROLL)
    client.post(
        "/api/v1/blogs",
        json={
            "name": "Odd <&> \"chars\" 'here'",
            "feed_url": "https://odd.example/f?a=1&b=2",
            "tags": ["c++"],
        },
        headers=auth,
    )
    unicode = {
        "name": "Ünïcødé ☃ 𝄞 \U0001f600",
        "feed_url": "https://ü.example/feed",
        "tags": ["café", "日本"],
    }
    assert client.post("/api/v1/blogs", json=unicode, headers=auth).status_code == 201
    original = _fields(client.get("/api/v1/blogs").json["items"])
    exported = client.get("/blogroll.opml").get_data()

    assert _import(client, auth, exported).json == {
        "added": 0,
        "skipped": 5,
        "items": [],
        "refused": [],
        "notes": [],
    }
    for blog in client.get("/api/v1/blogs").json["items"]:
        assert client.delete(f"/api/v1/blogs/{blog['id']}", headers=auth).status_code == 204
    assert _blog_count(session) == 0

    reimported = _import(client, auth, exported)

    assert reimported.json["added"] == 5
    assert _fields(client.get("/api/v1/blogs").json["items"]) == original


@pytest.mark.parametrize("character", ["\ufffe", "\uffff", "\ufdd0", "\x00", "\x1b"])
@pytest.mark.parametrize("field", ["name", "tags", "description"])
def test_characters_xml_cannot_carry_are_refused_at_input(
    client: FlaskClient,
    auth: Headers,
    storage: Callable[[], Any],
    expect_error: Callable[..., Any],
    character: str,
    field: str,
) -> None:
    before = storage()
    blog: dict[str, Any] = {"name": "Fine", "feed_url": "https://fine.example/feed"}
    blog[field] = [f"tag{character}"] if field == "tags" else f"a{character}b"
    body = expect_error(client.post("/api/v1/blogs", json=blog, headers=auth), 422, "validation_failed")
    assert body["details"][0]["field"] == ("tags.0" if field == "tags" else field)
    assert storage() == before
    # So the export stays well-formed XML 1.0, whatever was tried.
    fromstring(client.get("/blogroll.opml").get_data())


def _fields(blogs: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (blog["name"], blog["feed_url"], blog["site_url"], blog["description"], blog["tags"])
        for blog in blogs
    )


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<opml version="2.0"><body>
  <outline type="rss" text="&lol9;" xmlUrl="https://laughs.example/feed"/>
</body></opml>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline type="rss" text="&secret;" xmlUrl="https://x.example/feed"/></body></opml>
"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE opml SYSTEM "http://127.0.0.1:9/evil.dtd">
<opml version="2.0"><body><outline type="rss" text="x" xmlUrl="https://x.example/feed"/></body></opml>
"""
PLAIN_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE opml>
<opml version="2.0"><body><outline type="rss" text="x" xmlUrl="https://x.example/feed"/></body></opml>
"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>
<opml version="2.0"><body/></opml>
"""
DEEP = (
    b'<opml version="2.0"><body>'
    + b'<outline text="f">' * (MAX_DEPTH + 5)
    + b'<outline type="rss" text="deep" xmlUrl="https://deep.example/feed"/>'
    + b"</outline>" * (MAX_DEPTH + 5)
    + b"</body></opml>"
)
VERY_DEEP = b"<opml><body>" + b"<outline>" * 50_000 + b"</outline>" * 50_000 + b"</body></opml>"


def _outline(**attributes: str) -> bytes:
    attrs = " ".join(f'{name}="{value}"' for name, value in attributes.items())
    return (
        '<opml version="2.0"><body>'
        '<outline type="rss" text="Good" xmlUrl="https://good.example/feed"/>'
        f"<outline {attrs}/></body></opml>"
    ).encode()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (BILLION_LAUGHS, "dtd_forbidden"),
        (EXTERNAL_ENTITY, "dtd_forbidden"),
        (EXTERNAL_DTD, "dtd_forbidden"),
        (PLAIN_DTD, "dtd_forbidden"),
        (PARAMETER_ENTITY, "dtd_forbidden"),
        (b"", "malformed_xml"),
        (b"not xml at all", "malformed_xml"),
        (b"<opml><body><outline text='x'></body></opml>", "malformed_xml"),
        (b"\xff\xfe<\x00o\x00", "malformed_xml"),
        (b'<?xml version="1.0" encoding="no-such-codec"?><opml/>', "malformed_xml"),
        (b'<?xml version="1.0" encoding="utf-16"?><opml/>', "malformed_xml"),
        (b'<?xml version="1.0" encoding="shift_jis"?><opml/>', "not_opml"),
        (b"<opml><body>&#0;</body></opml>", "malformed_xml"),
        (b'<rss version="2.0"><channel/></rss>', "not_opml"),
        (b"<opml version='2.0'><head/></opml>", "not_opml"),
        (DEEP, "too_deep"),
        (VERY_DEEP, "too_deep"),
    ],
)
def test_hostile_or_broken_files_are_refused(
    client: FlaskClient,
    auth: Headers,
    add_blog: Any,
    storage: Callable[[], Any],
    expect_error: Callable[..., Any],
    data: bytes,
    reason: str,
) -> None:
    add_blog()
    before = storage()

    body = expect_error(_import(client, auth, data), 422, "invalid_opml")

    assert body["details"]["reason"] == reason
    assert "passwd" not in body["message"] and "root:" not in str(body)
    assert storage() == before


@pytest.mark.parametrize(
    ("outline", "reason"),
    [
        ({"text": "Evil", "xmlUrl": "javascript:alert(1)"}, "must be a web address starting with http://"),
        (
            {"text": "Ftp", "xmlUrl": "ftp://files.example/feed"},
            "must be a web address starting with http://",
        ),
        ({"text": "Empty", "xmlUrl": ""}, "must be a web address starting with http://"),
        ({"text": "Relative", "xmlUrl": "/feed.xml"}, "must be a web address starting with http://"),
        (
            {"text": "Long", "xmlUrl": "https://ok.example/" + "a" * 2100},
            "the feed address (xmlUrl) is too long",
        ),
    ],
)
def test_an_outline_with_a_bad_feed_is_refused_alone(
    client: FlaskClient, auth: Headers, session: Session, outline: dict[str, str], reason: str
) -> None:
    response = _import(client, auth, _outline(**outline))

    assert response.status_code == 200, response.get_data(as_text=True)
    assert [blog["name"] for blog in response.json["items"]] == ["Good"]
    [refused] = response.json["refused"]
    assert refused["title"] == outline["text"]
    assert refused["xml_url"] == outline["xmlUrl"][:299] + ("…" if len(outline["xmlUrl"]) > 300 else "")
    assert reason in refused["reason"]
    assert "pattern" not in refused["reason"] and "^" not in refused["reason"]
    assert _blog_count(session) == 1


@pytest.mark.parametrize(
    ("outline", "expected", "note"),
    [
        (
            {"text": "Site", "xmlUrl": "https://ok.example/feed", "htmlUrl": "data:text/html,hi"},
            {"site_url": None},
            "htmlUrl left out: the site address (htmlUrl) must be a web address",
        ),
        (
            {"text": "Junk", "xmlUrl": "https://ok.example/feed", "htmlUrl": "not a url at all"},
            {"site_url": None},
            "htmlUrl left out",
        ),
        (
            {"text": "x" * 201, "xmlUrl": "https://ok.example/feed"},
            {"name": "x" * 200},
            "the title was cut to 200 characters",
        ),
        ({"text": "Tags", "xmlUrl": "https://ok.example/feed", "category": "#bad!"}, {"tags": ["bad"]}, None),
        (
            {"text": "Folder", "xmlUrl": "https://ok.example/feed", "category": "News & Design,C++/Rust"},
            {"tags": ["c++", "news-design", "rust"]},
            None,
        ),
    ],
)
def test_what_real_files_get_wrong_is_mended_and_imported(
    client: FlaskClient, auth: Headers, outline: dict[str, str], expected: dict[str, Any], note: str | None
) -> None:
    response = _import(client, auth, _outline(**outline))

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["refused"] == []
    blog = response.json["items"][1]
    for field, value in expected.items():
        assert blog[field] == value
    notes = [item["note"] for item in response.json["notes"]]
    if note is None:
        assert notes == []
    else:
        assert len(notes) == 1 and notes[0].startswith(note)


def test_every_refused_outline_is_reported_and_the_rest_imported(client: FlaskClient, auth: Headers) -> None:
    data = b"""<opml version="2.0"><body>
      <outline type="rss" text="One" xmlUrl="javascript:1"/>
      <outline type="rss" text="Fine" xmlUrl="https://fine.example/"/>
      <outline type="rss" text="Two" xmlUrl="https://two.example/" htmlUrl="ftp://two.example/"/>
      <outline type="rss" text="Three" xmlUrl="mailto:x@three.example"/>
    </body></opml>"""
    response = _import(client, auth, data)
    assert response.status_code == 200
    assert [blog["name"] for blog in response.json["items"]] == ["Fine", "Two"]
    assert [item["title"] for item in response.json["refused"]] == ["One", "Three"]
    assert [item["title"] for item in response.json["notes"]] == ["Two"]


def test_too_many_outlines(
    client: FlaskClient, auth: Headers, storage: Callable[[], Any], expect_error: Callable[..., Any]
) -> None:
    before = storage()
    data = b"<opml><body>" + b'<outline text="folder"/>' * 10_001 + b"</body></opml>"
    body = expect_error(_import(client, auth, data), 422, "invalid_opml")
    assert body["details"] == {"reason": "too_many_outlines"}
    assert storage() == before


def test_import_needs_a_file(
    client: FlaskClient, auth: Headers, storage: Callable[[], Any], expect_error: Callable[..., Any]
) -> None:
    before = storage()
    response = client.post(
        IMPORT,
        data={"other": (io.BytesIO(BLOGROLL), "x.opml")},
        content_type="multipart/form-data",
        headers=auth,
    )
    body = expect_error(response, 422, "validation_failed")
    assert body["details"] == [{"field": "file", "message": "Field required", "type": "missing"}]
    assert storage() == before


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "application/x-www-form-urlencoded"]
)
def test_import_wrong_content_type(
    client: FlaskClient,
    auth: Headers,
    storage: Callable[[], Any],
    expect_error: Callable[..., Any],
    content_type: str,
) -> None:
    before = storage()
    expect_error(_import(client, auth, BLOGROLL, content_type), 415, "unsupported_media_type")
    assert storage() == before
