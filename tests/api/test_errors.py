"""Every refused request answers the documented JSON error, with a request id, and changes nothing."""

import base64
import io
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from blogroll.storage import blogs

Headers = dict[str, str]
GOOD = {"name": "Example", "feed_url": "https://example.org/feed.xml"}


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{bad",
        b'{"name": "x",}',
        b"{'name': 'x'}",
        b'{"name": "x"} trailing',
        b'{"name": NaN}',
        b'{"name": "\\ud800", "feed_url": "https://x.example/"}',
        b'{"name": "\xff"}',
        b"[" * 5000 + b"]" * 5000,
    ],
)
@pytest.mark.parametrize("method", ["post", "patch"])
def test_malformed_json(
    client: FlaskClient,
    auth: Headers,
    add_blog: Any,
    storage: Callable[[], Any],
    expect_error: Callable[..., Any],
    body: bytes,
    method: str,
) -> None:
    blog = add_blog()
    before = storage()
    path = "/api/v1/blogs" if method == "post" else f"/api/v1/blogs/{blog.id}"

    response = getattr(client, method)(path, data=body, content_type="application/json", headers=auth)

    error = expect_error(response, 400, "malformed_json")
    assert error["message"] == "the body is not valid JSON"
    assert set(error["details"]) == {"line", "column"}
    assert storage() == before


LONG_URL = "https://example.org/" + "a" * 2048


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": 123, "feed_url": GOOD["feed_url"]}, ["name"]),
        ({"name": ["x"], "feed_url": GOOD["feed_url"]}, ["name"]),
        ({"name": "", "feed_url": GOOD["feed_url"]}, ["name"]),
        ({"name": "   ", "feed_url": GOOD["feed_url"]}, ["name"]),
        ({"name": "x" * 201, "feed_url": GOOD["feed_url"]}, ["name"]),
        # The document's maxLength counts the text as sent: surrounding white space too.
        ({"name": "\r\t " + "x" * 199, "feed_url": GOOD["feed_url"]}, ["name"]),
        ({"name": "nul\u0000byte", "feed_url": GOOD["feed_url"]}, ["name"]),
        ({"name": "two\nlines", "feed_url": GOOD["feed_url"]}, ["name"]),
        ({"name": "x"}, ["feed_url", "site_url"]),
        ({}, ["feed_url", "site_url"]),
        ({"name": "x", "feed_url": None}, ["feed_url"]),
        ({"name": "x", "feed_url": 42}, ["feed_url"]),
        ({"name": "x", "feed_url": "javascript:alert(1)"}, ["feed_url"]),
        ({"name": "x", "feed_url": "JavaScript://example.org/%0aalert(1)"}, ["feed_url"]),
        ({"name": "x", "feed_url": "ftp://example.org/feed"}, ["feed_url"]),
        ({"name": "x", "feed_url": "file:///etc/passwd"}, ["feed_url"]),
        ({"name": "x", "feed_url": "data:text/xml,<rss/>"}, ["feed_url"]),
        ({"name": "x", "feed_url": "example.org/feed"}, ["feed_url"]),
        ({"name": "x", "feed_url": "https://"}, ["feed_url"]),
        ({"name": "x", "feed_url": LONG_URL}, ["feed_url"]),
        ({**GOOD, "site_url": "mailto:me@example.org"}, ["site_url"]),
        ({**GOOD, "site_url": LONG_URL}, ["site_url"]),
        ({**GOOD, "description": "x" * 5001}, ["description"]),
        ({**GOOD, "description": 5}, ["description"]),
        ({**GOOD, "description": "nul\u0000byte"}, ["description"]),
        ({**GOOD, "tags": "python"}, ["tags"]),
        ({**GOOD, "tags": [1]}, ["tags.0"]),
        ({**GOOD, "tags": ["ok", "no!"]}, ["tags.1"]),
        ({**GOOD, "tags": [""]}, ["tags.0"]),
        ({**GOOD, "tags": ["-leading"]}, ["tags.0"]),
        ({**GOOD, "tags": ["x" * 51]}, ["tags.0"]),
        ({**GOOD, "tags": ["  " + "x" * 49]}, ["tags.0"]),
        ({**GOOD, "tags": [f"t{n}" for n in range(21)]}, ["tags"]),
        ({**GOOD, "colour": "red"}, ["colour"]),
        ({**GOOD, "id": 7}, ["id"]),
        ({**GOOD, "enabled": False}, ["enabled"]),
        (
            {"name": 1, "feed_url": "ftp://x.example/", "tags": [2], "extra": 3},
            ["name", "feed_url", "tags.0", "extra"],
        ),
        ([], ["(body)"]),
        ([GOOD], ["(body)"]),
        ("text", ["(body)"]),
        (None, ["(body)"]),
        (42, ["(body)"]),
    ],
)
def test_invalid_new_blogs(
    client: FlaskClient,
    auth: Headers,
    storage: Callable[[], Any],
    expect_error: Callable[..., Any],
    body: Any,
    fields: list[str],
) -> None:
    before = storage()

    response = client.post(
        "/api/v1/blogs", data=orjson.dumps(body), content_type="application/json", headers=auth
    )

    error = expect_error(response, 422, "validation_failed")

    assert [detail["field"] for detail in error["details"]] == fields
    for detail in error["details"]:
        assert set(detail) == {"field", "message", "type"}
    assert storage() == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": 123}, ["name"]),
        ({"name": ""}, ["name"]),
        ({"feed_url": "javascript:alert(1)"}, ["feed_url"]),
        ({"site_url": "ftp://example.org/"}, ["site_url"]),
        ({"description": "x" * 5001}, ["description"]),
        ({"tags": ["ok", 3]}, ["tags.1"]),
        ({"enabled": "yes"}, ["enabled"]),
        ({"enabled": 0}, ["enabled"]),
        ({"id": 5}, ["id"]),
        ({"fetch": {"enabled": False}}, ["fetch"]),
        ({"created_at": "2020-01-01T00:00:00Z"}, ["created_at"]),
        ([], ["(body)"]),
    ],
)
def test_invalid_changes(
    client: FlaskClient,
    auth: Headers,
    add_blog: Any,
    storage: Callable[[], Any],
    expect_error: Callable[..., Any],
    body: Any,
    fields: list[str],
) -> None:
    blog = add_blog()
    before = storage()

    response = client.patch(
        f"/api/v1/blogs/{blog.id}", data=orjson.dumps(body), content_type="application/json", headers=auth
    )

    error = expect_error(response, 422, "validation_failed")
    assert [detail["field"] for detail in error["details"]] == fields
    assert storage() == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/api/v1/blogs?limit=0", "limit"),
        ("/api/v1/blogs?limit=201", "limit"),
        ("/api/v1/blogs?limit=-1", "limit"),
        ("/api/v1/blogs?limit=ten", "limit"),
        ("/api/v1/blogs?limit=1.5", "limit"),
        ("/api/v1/blogs?tag=", "tag"),
        ("/api/v1/blogs?tag=no!", "tag"),
        ("/api/v1/blogs?cursor=abc", "cursor"),
        ("/api/v1/blogs?cursor=-1", "cursor"),
        ("/api/v1/blogs?cursor=%C2%B2", "cursor"),
        ("/api/v1/blogs?cursor=99999999999999999999999", "cursor"),
        ("/api/v1/entries?limit=0", "limit"),
        ("/api/v1/entries?blog=0", "blog"),
        ("/api/v1/entries?blog=abc", "blog"),
        ("/api/v1/entries?blog=99999999999999999999", "blog"),
        ("/api/v1/entries?tag=%20", "tag"),
        ("/api/v1/entries?since=yesterday", "since"),
        ("/api/v1/entries?since=2026-01-01T00:00:00", "since"),
        ("/api/v1/entries?since=2026-13-01T00:00:00Z", "since"),
        ("/api/v1/entries?since=0001-01-01T00:00:00%2B01:00", "since"),
        ("/api/v1/entries?cursor=%%%", "cursor"),
        ("/api/v1/entries?cursor=" + _cursor("2026-01-01T00:00:00|5"), "cursor"),
        ("/api/v1/entries?cursor=" + _cursor("2026-01-01T00:00:00+00:00|x"), "cursor"),
        ("/api/v1/entries?cursor=" + _cursor("0001-01-01T00:00:00+01:00|5"), "cursor"),
        ("/api/v1/entries?cursor=" + _cursor("2026-01-01T00:00:00+00:00|" + "9" * 30), "cursor"),
        ("/api/v1/entries?cursor=" + _cursor("no separator"), "cursor"),
    ],
)
def test_invalid_query_strings(
    client: FlaskClient, add_blog: Any, expect_error: Callable[..., Any], query: str, field: str
) -> None:
    add_blog()
    error = expect_error(client.get(query), 422, "validation_failed")
    assert [detail["field"] for detail in error["details"]] == [field]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/blogs/424242"),
        ("patch", "/api/v1/blogs/424242"),
        ("delete", "/api/v1/blogs/424242"),
        ("post", "/api/v1/blogs/424242/refresh"),
        ("get", "/api/v1/entries/424242"),
        ("get", "/api/v1/blogs/0"),
        ("get", "/api/v1/blogs/2147483648"),
        ("get", "/api/v1/blogs/99999999999999999999"),
        ("delete", "/api/v1/blogs/99999999999999999999"),
        ("get", "/api/v1/entries/99999999999999999999"),
        ("get", "/api/v1/blogs/abc"),
        ("get", "/api/v1/blogs/-1"),
        ("get", "/api/v1/blogs/1.5"),
        ("patch", "/api/v1/blogs/abc"),
        ("get", "/api/v1/entries/abc"),
        ("get", "/api/v1/nope"),
        ("post", "/api/v1/nope"),
        ("get", "/api/v2/"),
        ("get", "/api/v1/blogs/"),
        ("get", "/api/v1/blogs/1/entries"),
    ],
)
def test_not_found(
    client: FlaskClient,
    auth: Headers,
    storage: Callable[[], Any],
    expect_error: Callable[..., Any],
    method: str,
    path: str,
) -> None:
    before = storage()
    response = getattr(client, method)(path, json={"name": "x"} if method == "patch" else None, headers=auth)
    expect_error(response, 404, "not_found")
    assert storage() == before


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", "/api/v1/blogs/{id}", {"GET", "HEAD", "OPTIONS", "PATCH", "DELETE"}),
        ("post", "/api/v1/blogs/{id}", {"GET", "HEAD", "OPTIONS", "PATCH", "DELETE"}),
        ("delete", "/api/v1/blogs", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("put", "/api/v1/blogs", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("post", "/api/v1/", {"GET", "HEAD", "OPTIONS"}),
        ("get", "/api/v1/blogs/import", {"OPTIONS", "POST"}),
        ("get", "/api/v1/blogs/{id}/refresh", {"OPTIONS", "POST"}),
        ("patch", "/api/v1/entries/1", {"GET", "HEAD", "OPTIONS"}),
        ("delete", "/api/v1/entries", {"GET", "HEAD", "OPTIONS"}),
        ("post", "/api/v1/openapi.json", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_method_not_allowed(
    client: FlaskClient,
    auth: Headers,
    add_blog: Any,
    storage: Callable[[], Any],
    expect_error: Callable[..., Any],
    method: str,
    path: str,
    allowed: set[str],
) -> None:
    blog = add_blog()
    before = storage()
    response = getattr(client, method)(path.format(id=blog.id), json=GOOD, headers=auth)
    expect_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) == allowed
    assert storage() == before


@pytest.mark.parametrize(
    "feed_url",
    ["https://taken.example/feed", "HTTPS://TAKEN.example/feed", "https://taken.example:443/feed"],
)
def test_duplicate_feed_on_create(
    client: FlaskClient,
    auth: Headers,
    add_blog: Any,
    storage: Callable[[], Any],
    expect_error: Callable[..., Any],
    feed_url: str,
) -> None:
    taken = add_blog("Taken", feed_url="https://taken.example/feed")
    before = storage()

    response = client.post("/api/v1/blogs", json={"name": "Again", "feed_url": feed_url}, headers=auth)

    error = expect_error(response, 409, "duplicate_feed")
    assert error["details"] == {"feed_url": "https://taken.example/feed", "existing_id": taken.id}
    assert storage() == before


def test_duplicate_feed_on_patch(
    client: FlaskClient,
    auth: Headers,
    add_blog: Any,
    storage: Callable[[], Any],
    expect_error: Callable[..., Any],
) -> None:
    taken = add_blog("Taken", feed_url="https://taken.example/feed")
    other = add_blog("Other")
    before = storage()

    response = client.patch(
        f"/api/v1/blogs/{other.id}",
        json={"name": "Renamed", "feed_url": "https://taken.example/feed"},
        headers=auth,
    )

    error = expect_error(response, 409, "duplicate_feed")
    assert error["details"] == {"feed_url": "https://taken.example/feed", "existing_id": taken.id}
    assert storage() == before


@pytest.fixture
def small_client(make_app: Callable[..., Flask]) -> FlaskClient:
    """A client of an app that takes bodies of at most 1024 bytes."""
    return make_app(max_body_bytes=1024).test_client()


def _opml_of(size: int) -> bytes:
    head = b'<opml version="2.0"><body><outline type="rss" text="A" xmlUrl="https://a.example/feed"/>'
    return head + b" " * (size - len(head) - len(b"</body></opml>")) + b"</body></opml>"


@pytest.mark.parametrize(
    ("method", "path", "arguments"),
    [
        ("post", "/api/v1/blogs", {"json": {**GOOD, "description": "x" * 1100}}),
        ("patch", "/api/v1/blogs/{id}", {"json": {"description": "x" * 1100}}),
        ("post", "/api/v1/blogs/import", {"data": _opml_of(1025), "content_type": "text/x-opml"}),
        (
            "post",
            "/api/v1/blogs/import",
            {"data": {"file": (_opml_of(2000), "big.opml")}, "content_type": "multipart/form-data"},
        ),
        ("post", "/api/v1/blogs", {"data": b"x" * 5_000_000, "content_type": "application/json"}),
    ],
)
def test_body_too_large(
    small_client: FlaskClient,
    auth: Headers,
    add_blog: Any,
    storage: Callable[[], Any],
    expect_error: Callable[..., Any],
    method: str,
    path: str,
    arguments: dict[str, Any],
) -> None:
    blog = add_blog()
    before = storage()
    if isinstance(arguments.get("data"), dict):  # a fresh upload stream for each run
        content, name = arguments["data"]["file"]
        arguments = {**arguments, "data": {"file": (io.BytesIO(content), name)}}
    response = getattr(small_client, method)(path.format(id=blog.id), headers=auth, **arguments)
    expect_error(response, 413, "payload_too_large")
    assert storage() == before


def test_bodies_up_to_the_limit_are_taken(small_client: FlaskClient, auth: Headers) -> None:
    empty = orjson.dumps({**GOOD, "description": ""})
    body = orjson.dumps({**GOOD, "description": "x" * (1024 - len(empty))})
    assert len(body) == 1024
    response = small_client.post("/api/v1/blogs", data=body, content_type="application/json", headers=auth)
    assert response.status_code == 201
    response = small_client.post(
        "/api/v1/blogs/import", data=_opml_of(1024), content_type="text/x-opml", headers=auth
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "arguments",
    [
        {"data": b'{"name": "x"}', "content_type": "text/plain"},
        {"data": b'{"name": "x"}'},
        {"data": {"name": "x", "feed_url": "https://x.example/"}},
        {"data": {"name": "x"}, "content_type": "multipart/form-data"},
        {"data": b"<opml/>", "content_type": "text/x-opml"},
        {},
    ],
)
@pytest.mark.parametrize("method", ["post", "patch"])
def test_unsupported_media_type(
    client: FlaskClient,
    auth: Headers,
    add_blog: Any,
    storage: Callable[[], Any],
    expect_error: Callable[..., Any],
    arguments: dict[str, Any],
    method: str,
) -> None:
    blog = add_blog()
    before = storage()
    path = "/api/v1/blogs" if method == "post" else f"/api/v1/blogs/{blog.id}"
    expect_error(getattr(client, method)(path, headers=auth, **arguments), 415, "unsupported_media_type")
    assert storage() == before


def test_json_with_a_charset_is_json(client: FlaskClient, auth: Headers) -> None:
    response = client.post(
        "/api/v1/blogs",
        data=b'{"name": "x", "feed_url": "https://x.example/"}',
        content_type="application/json; charset=utf-8",
        headers=auth,
    )
    assert response.status_code == 201


def test_unexpected_errors_leak_nothing(
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    expect_error: Callable[..., Any],
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret: password=hunter2 at /srv/blogroll/db.py")

    monkeypatch.setattr(blogs, "list_blogs", broken)
    response = client.get("/api/v1/blogs")
    error = expect_error(response, 500, "internal_error")
    assert "hunter2" not in response.get_data(as_text=True)
    assert "RuntimeError" not in response.get_data(as_text=True)
    assert error["details"] is None
    logged = [record for record in caplog.records if record.levelname == "ERROR"]
    assert [record.getMessage() for record in logged] == ["unhandled error on GET /api/v1/blogs"]
    assert logged[0].exc_info is not None


def test_request_id_is_echoed_when_it_looks_like_one(client: FlaskClient) -> None:
    response = client.get("/api/v1/blogs/424242", headers={"X-Request-ID": "proxy-req.0001"})
    assert response.headers["X-Request-ID"] == "proxy-req.0001"
    for forged in ("short", "has spaces in it", "x" * 65, "semi;colon-value"):
        response = client.get("/api/v1/blogs/424242", headers={"X-Request-ID": forged})
        assert response.headers["X-Request-ID"] != forged
        assert len(response.headers["X-Request-ID"]) == 32


def test_every_request_gets_its_own_id(client: FlaskClient) -> None:
    ids = {client.get("/api/v1/nope").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def test_pages_keep_html_errors(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    "headers",
    [{"Accept-Language": "es"}, {"Accept-Language": "es-ES,es;q=0.9"}, {"Cookie": "blogroll_lang=es"}],
)
def test_api_errors_stay_english_whatever_language_is_asked(
    client: FlaskClient, auth: Headers, headers: Headers
) -> None:
    """Codes and messages are a contract with programs: never translated, even for a Spanish reader."""
    missing = client.get("/api/v1/blogs/987654?lang=es", headers=headers)
    assert missing.status_code == 404
    assert missing.json == {
        "error": "not_found",
        "message": "there is no blog with id 987654",
        "details": None,
    }
    unknown = client.get("/api/v1/no-such-thing", headers=headers)
    assert unknown.json["message"].startswith("The requested URL was not found on the server.")
    invalid = client.post("/api/v1/blogs", json={"name": ""}, headers=auth | headers)
    assert invalid.status_code == 422
    assert invalid.json["error"] == "validation_failed"
    assert invalid.json["message"] == "the request is not valid"
    assert invalid.json["details"][0]["message"].isascii()
    body = b"x" * (3 * 1024 * 1024)
    too_large = client.post(
        "/api/v1/blogs", data=body, headers=auth | headers | {"Content-Type": "application/json"}
    )
    assert too_large.json["message"] == "the request body is larger than this server accepts"
    for response in (missing, unknown, invalid, too_large):
        assert "Content-Language" not in response.headers


@pytest.mark.parametrize("headers", [{"Accept-Language": "es"}, {"Cookie": "blogroll_lang=es"}])
def test_import_reasons_stay_english_though_the_admin_pages_translate_them(
    client: FlaskClient, auth: Headers, headers: Headers
) -> None:
    """The OPML import's reasons and notes come from code the admin pages share, where they are
    translated; through the API they are English whatever the reader asks for."""
    opml = (
        b'<opml version="2.0"><body>'
        b'<outline type="rss" text="Site" xmlUrl="https://ok.example/feed" htmlUrl="not a url"/>'
        b'<outline type="rss" text="Evil" xmlUrl="javascript:alert(1)"/>'
        b"</body></opml>"
    )
    response = client.post(
        "/api/v1/blogs/import", data=opml, content_type="text/x-opml", headers=auth | headers
    )
    assert response.status_code == 200, response.text
    [refused] = response.json["refused"]
    assert "must be a web address starting with http://" in refused["reason"]
    assert any("htmlUrl left out" in note["note"] for note in response.json["notes"]), response.json
