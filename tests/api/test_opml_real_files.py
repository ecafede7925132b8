"""OPML written by other people: real files from public repositories (tests/fixtures/opml/README.md) and
the ways real exporters get XML wrong, each read as a feed reader would read it."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from blogroll.opml import OpmlError, parse_opml

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "opml"
Headers = dict[str, str]


def _feed_outline_count(data: bytes) -> int:
    """Outlines with a feed, counted in the raw text (how the fixtures' README counted them)."""
    return data.count(b"xmlUrl=")


@pytest.mark.parametrize(
    ("file", "blogs", "tags"),
    [
        ("erikdietrich-feedly.opml", 147, {"link collections", "tool authors"}),
        # An <?xml-stylesheet?> line before the XML declaration: the misplaced declaration is dropped.
        ("frankmeeuwsen-blogroll.opml", 48, {"recommendations"}),
        ("linux-podcasts.opml", 9, set()),
        ("planet-serenity.opml", 4, {"serenity devs"}),
        # Bare `&` in attributes, raw `<em ...="...">` inside a description, the folder "Business & Economy".
        ("plenary-business-and-economy.opml", 16, {"business-economy"}),
        ("plenary-japan.opml", 8, {"japan"}),
    ],
)
def test_every_outline_of_a_real_file_is_read(file: str, blogs: int, tags: set[str]) -> None:
    data = (FIXTURES / file).read_bytes()
    parsed = parse_opml(data)
    assert len(parsed.blogs) + len(parsed.refused) == _feed_outline_count(data) == blogs
    assert parsed.refused == []
    assert tags <= {tag for blog in parsed.blogs for tag in blog.tags}


def test_markup_inside_a_description_is_kept_as_text() -> None:
    parsed = parse_opml((FIXTURES / "plenary-business-and-economy.opml").read_bytes())
    [guy_raz] = [blog for blog in parsed.blogs if blog.name == "How I Built This with Guy Raz"]
    assert guy_raz.feed_url == "https://feeds.npr.org/510313/podcast.xml"
    assert 'Order the <em data-stringify-type="italic">How I Built This</em> book' in guy_raz.description


def test_a_real_file_imports_through_the_api_and_again_adds_nothing(
    client: FlaskClient, auth: Headers
) -> None:
    data = (FIXTURES / "erikdietrich-feedly.opml").read_bytes()
    first = client.post("/api/v1/blogs/import", data=data, content_type="text/x-opml", headers=auth)
    assert first.status_code == 200
    # One feed sits in two folders: it is added once.
    assert (first.json["added"], first.json["skipped"], first.json["refused"]) == (146, 1, [])
    again = client.post("/api/v1/blogs/import", data=data, content_type="text/x-opml", headers=auth)
    assert (again.json["added"], again.json["skipped"]) == (0, 147)


def _one(outline: str, *, head: str = "") -> bytes:
    return f'{head}<opml version="2.0"><body>{outline}</body></opml>'.encode()


@pytest.mark.parametrize(
    ("data", "name", "description"),
    [
        (_one('<outline text="Tom & Jerry" xmlUrl="https://tj.example/feed?a=1&b=2"/>'), "Tom & Jerry", ""),
        (
            _one('<outline text="Caf&eacute;&nbsp;Noir" xmlUrl="https://cafe.example/feed"/>'),
            "Café\xa0Noir",
            "",
        ),
        (
            _one('<outline text="Odd &bogus; name" xmlUrl="https://odd.example/feed"/>'),
            "Odd &bogus; name",
            "",
        ),
        (
            _one(
                '<outline text="Quoted" xmlUrl="https://q.example/feed" description="say "hi" <b>now</b>"/>'
            ),
            "Quoted",
            'say "hi" <b>now</b>',
        ),
        (
            b'<?xml-stylesheet type="text/xsl" href="x.xsl"?>\n<?xml version="1.0"?>\n'
            + _one('<outline text="Late" xmlUrl="https://late.example/feed"/>'),
            "Late",
            "",
        ),
    ],
)
def test_ill_formed_xml_that_exporters_write_is_repaired(data: bytes, name: str, description: str) -> None:
    [blog] = parse_opml(data).blogs
    assert (blog.name, blog.description) == (name, description)


def test_an_undeclared_legacy_encoding_is_read_as_windows_1252() -> None:
    data = _one('<outline text="Café “Noir”" xmlUrl="https://cafe.example/feed"/>').decode().encode("cp1252")
    assert [blog.name for blog in parse_opml(data).blogs] == ["Café “Noir”"]


@pytest.mark.parametrize(
    ("encoding", "name"),
    [("shift_jis", "日本の朝"), ("euc-jp", "日本の朝"), ("gbk", "早晨"), ("big5", "早晨")],
)
def test_declared_encodings_expat_cannot_read_are_decoded(encoding: str, name: str) -> None:
    declared = f'<?xml version="1.0" encoding="{encoding}"?>'
    data = (declared + _one(f'<outline text="{name}" xmlUrl="https://asa.example/feed"/>').decode()).encode(
        encoding
    )
    assert [blog.name for blog in parse_opml(data).blogs] == [name]


@pytest.mark.parametrize(
    "data",
    [
        # A DTD is refused before any repair, wherever it hides.
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><opml><body>'
        b'<outline text="&e; & more" xmlUrl="https://x.example/"/></body></opml>',
        b"<opml><body>& <!ENTITY x SYSTEM 'file:///etc/passwd'></body></opml>",
    ],
)
def test_a_dtd_stays_refused_however_broken_the_file(data: bytes) -> None:
    with pytest.raises(OpmlError) as refused:
        parse_opml(data)
    assert refused.value.details == {"reason": "dtd_forbidden"}


def test_a_declaration_that_lies_about_the_bytes_stays_refused() -> None:
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        + _one('<outline text="Café" xmlUrl="https://c.example/"/>').decode()
    )
    with pytest.raises(OpmlError) as refused:
        parse_opml(data.encode("latin-1"))
    assert refused.value.details["reason"] == "malformed_xml"
