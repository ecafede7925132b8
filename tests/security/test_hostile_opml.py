"""Hostile OPML files sent to the import: each refused with a clear 4xx, nothing stored, memory bounded."""

from __future__ import annotations

import codecs
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blogroll.opml import MAX_DEPTH, MAX_ELEMENTS
from tests.helpers.errors import assert_json_error
from tests.helpers.snapshots import Snapshot

Headers = dict[str, str]
IMPORT = "/api/v1/blogs/import"
MB = 1024 * 1024


def _entities(count: int, width: int) -> bytes:
    """The billion-laughs shape: each entity is `width` copies of the one before."""
    lines = ['<!ENTITY e0 "lol">']
    lines += [f'<!ENTITY e{n} "{f"&e{n - 1};" * width}">' for n in range(1, count)]
    return "\n".join(lines).encode()


def _with_dtd(subset: bytes, text: bytes) -> bytes:
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE opml [\n' + subset + b"\n]>\n"
        b'<opml version="2.0"><body><outline type="rss" text="' + text + b'" '
        b'xmlUrl="https://bomb.example/feed"/></body></opml>'
    )


BILLION_LAUGHS = _with_dtd(_entities(10, 10), b"&e9;")
# One big entity used many times: no nesting for a depth limit to catch, yet quadratic memory.
QUADRATIC_BLOWUP = _with_dtd(b'<!ENTITY a "' + b"x" * 50_000 + b'">', b"&a;" * 50_000)
EXTERNAL_FILE = _with_dtd(b'<!ENTITY secret SYSTEM "file:///etc/passwd">', b"&secret;")
EXTERNAL_HTTP = _with_dtd(b'<!ENTITY remote SYSTEM "http://127.0.0.1:9/secret">', b"&remote;")
EXTERNAL_DTD = (
    b'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "file:///etc/passwd"><opml version="2.0"><body/></opml>'
)
PARAMETER_ENTITY = _with_dtd(
    b'<!ENTITY % file SYSTEM "file:///etc/passwd">\n'
    b"<!ENTITY % wrap \"<!ENTITY leak SYSTEM 'http://127.0.0.1:9/?%file;'>\">\n%wrap;",
    b"&leak;",
)
UTF16_BILLION_LAUGHS = BILLION_LAUGHS.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"')


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(BILLION_LAUGHS, id="billion-laughs"),
        pytest.param(QUADRATIC_BLOWUP, id="quadratic-blowup"),
        pytest.param(EXTERNAL_FILE, id="external-entity-file"),
        pytest.param(EXTERNAL_HTTP, id="external-entity-http"),
        pytest.param(EXTERNAL_DTD, id="external-dtd"),
        pytest.param(PARAMETER_ENTITY, id="parameter-entities"),
        pytest.param(UTF16_BILLION_LAUGHS.encode("utf-16"), id="billion-laughs-in-utf-16"),
    ],
)
def test_entity_tricks_are_refused(
    client: FlaskClient, auth: Headers, add_blog: Any, storage: Snapshot, data: bytes
) -> None:
    add_blog()
    before = storage()

    response = client.post(IMPORT, data=data, content_type="text/x-opml", headers=auth)

    body = assert_json_error(response, 422, "invalid_opml")
    assert body["details"] == {"reason": "dtd_forbidden"}
    assert "DTD" in body["message"]
    assert storage() == before


def _nested(levels: int) -> bytes:
    return (
        b'<opml version="2.0"><body>'
        + b'<outline text="folder">' * levels
        + b'<outline type="rss" text="Deep" xmlUrl="https://deep.example/feed"/>'
        + b"</outline>" * levels
        + b"</body></opml>"
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(_nested(MAX_DEPTH), "too_deep", id="one-level-too-deep"),
        pytest.param(_nested(10_000), "too_deep", id="10000-levels"),
        pytest.param(b"<opml><body>" + b"<outline>" * 100_000 + b"</body></opml>", "too_deep", id="unclosed"),
        pytest.param(
            b"<opml><head>" + b"<x/>" * MAX_ELEMENTS + b"</head><body/></opml>", "too_large", id="wide-head"
        ),
    ],
)
def test_nesting_and_size_are_bounded(
    client: FlaskClient, auth: Headers, storage: Snapshot, data: bytes, reason: str
) -> None:
    before = storage()
    body = assert_json_error(
        client.post(IMPORT, data=data, content_type="text/x-opml", headers=auth), 422, "invalid_opml"
    )
    assert body["details"] == {"reason": reason}
    assert storage() == before


def test_the_deepest_allowed_nesting_imports(client: FlaskClient, auth: Headers) -> None:
    response = client.post(IMPORT, data=_nested(MAX_DEPTH - 1), content_type="text/x-opml", headers=auth)
    assert response.status_code == 200
    assert response.json["items"][0]["tags"] == ["folder"]


DOCUMENT = (
    '<?xml version="1.0" encoding="{encoding}"?>\n<opml version="2.0"><body>'
    '<outline type="rss" text="Ünïcødé ☃" xmlUrl="https://unicode.example/feed"/></body></opml>'
)


def _document(encoding: str) -> str:
    return DOCUMENT.format(encoding=encoding)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_document("UTF-8").encode("latin-1", "replace"), id="says-utf-8-is-latin-1"),
        pytest.param(codecs.BOM_UTF8 + _document("ISO-8859-1").encode(), id="utf-8-bom-says-latin-1"),
        pytest.param(codecs.BOM_UTF8 + _document("UTF-16").encode(), id="utf-8-bom-says-utf-16"),
        pytest.param(_document("UTF-8").encode("utf-16"), id="utf-16-bom-says-utf-8"),
        pytest.param(_document("UTF-16").encode(), id="says-utf-16-is-utf-8"),
        pytest.param(_document("UTF-32").encode("utf-32"), id="utf-32"),
        pytest.param(_document("UTF-7").encode("utf-7"), id="utf-7"),
        pytest.param(_document("cp500").encode("cp500", "replace"), id="ebcdic"),
        pytest.param(_document("x-no-such-codec").encode(), id="unknown-codec"),
        pytest.param(b"\xff\xfe\x00\x00" + b"<\x00\x00\x00", id="truncated-utf-32"),
    ],
)
def test_wrong_and_lying_encodings_are_refused(
    client: FlaskClient, auth: Headers, storage: Snapshot, data: bytes
) -> None:
    before = storage()
    body = assert_json_error(
        client.post(IMPORT, data=data, content_type="text/x-opml", headers=auth), 422, "invalid_opml"
    )
    assert body["details"]["reason"] == "malformed_xml"
    assert storage() == before


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_honest_utf_16_imports_verbatim(client: FlaskClient, auth: Headers, encoding: str) -> None:
    """XML requires every parser to read UTF-16 (the byte order mark or the declaration tells which);
    only files whose bytes and declaration disagree are refused."""
    data = _document("UTF-16").encode(encoding)
    if encoding != "utf-16":
        data = (codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE) + data

    response = client.post(IMPORT, data=data, content_type="text/x-opml", headers=auth)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert [blog["name"] for blog in response.json["items"]] == ["Ünïcødé ☃"]


def _many_outlines(size: int) -> bytes:
    head, tail = b'<opml version="2.0"><body>', b"</body></opml>"
    outline = b'<outline type="rss" text="Feed" xmlUrl="https://many.example/feed"/>'
    return head + outline * ((size - len(head) - len(tail)) // len(outline)) + tail


FIFTY_MB = _many_outlines(50 * MB)


def test_a_50_mb_file_is_over_the_body_limit(client: FlaskClient, auth: Headers, storage: Snapshot) -> None:
    before = storage()
    response = client.post(IMPORT, data=FIFTY_MB, content_type="text/x-opml", headers=auth)
    assert_json_error(response, 413, "payload_too_large")
    assert storage() == before


def _peak_growth(call: Callable[[], Any]) -> tuple[Any, int]:
    """What `call` returns, and how far above the starting point its memory use peaked."""
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak - start


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(FIFTY_MB, "too_large", id="50-mb-of-outlines"),
        pytest.param(
            b'<opml version="2.0"><body><outline text="' + b"a" * 50 * MB + b'" xmlUrl="https://x.example/"/>'
            b"</body></opml>",
            None,
            id="one-50-mb-attribute",
        ),
    ],
)
def test_parsing_a_50_mb_file_stays_bounded(
    make_app: Callable[..., Flask], auth: Headers, storage: Snapshot, data: bytes, reason: str | None
) -> None:
    """With the limit raised past 50 MB the file is read, but the parse stops early and memory stays a
    small multiple of the file (the whole tree of 700,000 outlines took over a gigabyte and a minute)."""
    client = make_app(max_body_bytes=64 * MB).test_client()
    before = storage()

    response, growth = _peak_growth(
        lambda: client.post(IMPORT, data=data, content_type="text/x-opml", headers=auth)
    )

    if reason is None:  # the blog is imported with its name cut, and the answer stays small
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        assert len(response.get_data()) < 2000
        assert response.json["items"][0]["name"] == "a" * 200
        assert response.json["notes"][0]["title"].endswith("…")
        assert response.json["notes"][0]["note"] == "the title was cut to 200 characters"
    else:
        body = assert_json_error(response, 422, "invalid_opml")
        assert body["details"] == {"reason": reason}
    # The body, its copy, and the attribute as text and its copies: 2x and 4.5x measured, not 20x.
    assert growth < 6 * len(data), f"peak grew by {growth / MB:.0f} MB"
    if reason is not None:
        assert storage() == before
