"""Hostile requests through the app: path traversal, SQL metacharacters, oversized and endless bodies."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from blogroll.storage.models import Blog, BlogTag
from tests.helpers.errors import assert_json_error
from tests.helpers.snapshots import Snapshot

Headers = dict[str, str]
MB = 1024 * 1024

# Every path parameter (blog_id, entry_id, the static file name), spelled the ways traversal is tried.
TRAVERSALS = [
    "/api/v1/blogs/..%2f..%2fetc%2fpasswd",
    "/api/v1/blogs/%2e%2e/%2e%2e/etc/passwd",
    "/api/v1/blogs/..%252f..%252fetc%252fpasswd",
    "/api/v1/blogs/%2e%2e%5c%2e%2e%5cetc%5cpasswd",
    "/api/v1/blogs/1%2f..%2f..%2f..%2fpyproject.toml/refresh",
    "/api/v1/blogs/1%00",
    "/api/v1/entries/..%2f..%2fetc%2fpasswd",
    "/api/v1/entries/%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afetc%c0%afpasswd",
    "/blogs/%2e%2e/",
    "/blogs/..%2f..%2fpyproject.toml",
    "/blogs/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/blogs/1%00.html",
    "/static/../../pyproject.toml",
    "/static/..%2f..%2fpyproject.toml",
    "/static/%2e%2e/%2e%2e/pyproject.toml",
    "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/static/..%5c..%5cpyproject.toml",
    "/static/....//....//pyproject.toml",
    "/static/%c0%ae%c0%ae/%c0%ae%c0%ae/pyproject.toml",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/style.css%00.txt",
    "/static/../blogroll.db",
]
# What a leaked file would show: /etc/passwd, pyproject.toml, a SQLite database, Python source.
LEAKED = ("root:", "[project]", "SQLite format", "import ")


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_finds_nothing(client: FlaskClient, auth: Headers, add_blog: Any, path: str) -> None:
    add_blog()
    for method in ("get", "post", "patch", "delete"):
        # Doubled slashes are merged by a redirect to the same site; where it leads must be nothing too.
        response = getattr(client, method)(path, headers=auth, follow_redirects=True)
        assert response.status_code in (404, 405), (method, response.status_code)
        text = response.get_data(as_text=True)
        for leak in LEAKED:
            assert leak not in text
        if path.startswith("/api/"):
            assert_json_error(
                response,
                response.status_code,
                "not_found" if response.status_code == 404 else "method_not_allowed",
            )
        else:
            assert response.mimetype == "text/html"


def test_static_files_are_still_served(client: FlaskClient) -> None:
    response = client.get("/static/style.css")
    response.close()
    assert response.status_code == 200


SQL = [
    "' OR 1=1 --",
    "'; DROP TABLE blogs; --",
    '"; DROP TABLE blogs; --',
    "Robert'); DROP TABLE blog_tags;--",
    "100% _wild_ %_%",
    "back\\slash \\' \\\" \\\\",
    "UNION SELECT token_hash FROM api_tokens --",
    "`backticks` and $$dollars$$ and /* comments */",
]


def _tables_intact(session: Session, blogs: int) -> None:
    assert session.scalar(select(func.count()).select_from(Blog)) == blogs
    session.scalar(select(func.count()).select_from(BlogTag))


@pytest.mark.parametrize("text", SQL)
def test_sql_metacharacters_are_stored_verbatim(
    client: FlaskClient, auth: Headers, session: Session, text: str
) -> None:
    created = client.post(
        "/api/v1/blogs",
        json={"name": text, "description": text, "feed_url": "https://sql.example/feed"},
        headers=auth,
    )
    assert created.status_code == 201, created.json
    blog_id = created.json["id"]
    assert (created.json["name"], created.json["description"]) == (text, text)

    changed = client.patch(
        f"/api/v1/blogs/{blog_id}", json={"name": text + "!", "description": ""}, headers=auth
    )

    assert changed.status_code == 200
    fetched = client.get(f"/api/v1/blogs/{blog_id}").json
    assert (fetched["name"], fetched["description"]) == (text + "!", "")
    assert [blog["name"] for blog in client.get("/api/v1/blogs").json["items"]] == [text + "!"]
    _tables_intact(session, 1)


@pytest.mark.parametrize(
    "url",
    [
        "https://sql.example/feed?q=%27%20OR%201%3D1%20--",
        "https://sql.example/%27;%20DROP%20TABLE%20blogs;%20--",
        "https://sql.example/100%25_wild_",
    ],
)
def test_sql_metacharacters_in_urls(client: FlaskClient, auth: Headers, session: Session, url: str) -> None:
    created = client.post(
        "/api/v1/blogs", json={"name": "Quotes", "feed_url": url, "site_url": url}, headers=auth
    )
    assert created.status_code == 201, created.json
    assert (created.json["feed_url"], created.json["site_url"]) == (url, url)
    assert client.get(f"/api/v1/blogs/{created.json['id']}").json["feed_url"] == url
    again = client.post("/api/v1/blogs", json={"name": "Again", "feed_url": url}, headers=auth)
    assert again.status_code == 409  # found again by an exact match, no wildcard in sight
    _tables_intact(session, 1)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "NUL\x00' OR 1=1 --"),
        ("description", "'; DROP TABLE blogs; --\x00"),
        ("tags", ["' OR 1=1 --"]),
        ("tags", ["100%"]),
        ("tags", ["a\\b"]),
        ("tags", ['"; DROP TABLE blogs; --']),
        ("feed_url", "javascript:'; DROP TABLE blogs; --"),
        ("feed_url", "https://sql.example/feed?q=' OR 1=1 --"),
        ("feed_url", "https://sql.example/a\\b"),
        ("site_url", "https://sql.example/100%_"),
    ],
)
def test_sql_metacharacters_that_are_invalid_are_refused(
    client: FlaskClient,
    auth: Headers,
    add_blog: Any,
    storage: Snapshot,
    session: Session,
    field: str,
    value: Any,
) -> None:
    blog = add_blog()
    before = storage()
    body = {"name": "x", "feed_url": "https://x.example/feed", field: value}
    details = assert_json_error(
        client.post("/api/v1/blogs", json=body, headers=auth), 422, "validation_failed"
    )["details"]
    assert details[0]["field"].split(".")[0] == field
    assert_json_error(
        client.patch(f"/api/v1/blogs/{blog.id}", json={field: value}, headers=auth), 422, "validation_failed"
    )
    assert storage() == before
    _tables_intact(session, 1)


def test_tag_filters_match_exactly(client: FlaskClient, add_blog: Any, add_entry: Any) -> None:
    """`_` and `%` would be wildcards in a LIKE; the tag filter is an exact match."""
    underscore = add_blog("Underscore", tags=["a_b"])
    add_blog("Any letter", tags=["axb"])
    add_entry(underscore, "Mine")

    assert [blog["name"] for blog in client.get("/api/v1/blogs?tag=a_b").json["items"]] == ["Underscore"]
    assert [entry["title"] for entry in client.get("/api/v1/entries?tag=a_b").json["items"]] == ["Mine"]
    assert client.get("/api/v1/blogs?tag=a.b").json["items"] == []


@pytest.mark.parametrize("text", [*SQL, "%", "_", "\\", "\x00", "1 OR 1=1", "1; DROP TABLE blogs"])
@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/blogs", "tag"),
        ("/api/v1/blogs", "cursor"),
        ("/api/v1/entries", "tag"),
        ("/api/v1/entries", "cursor"),
        ("/api/v1/entries", "since"),
        ("/api/v1/entries", "blog"),
        ("/api/v1/entries", "limit"),
    ],
)
def test_sql_metacharacters_in_filters_are_refused(
    client: FlaskClient, add_blog: Any, session: Session, text: str, path: str, parameter: str
) -> None:
    """Refused, or (a tag that is a valid tag, such as `_`) matched exactly, finding nothing."""
    add_blog(tags=["python"])
    response = client.get(path, query_string={parameter: text})
    if response.status_code == 200 and parameter == "tag":
        assert response.json == {"items": [], "next": None}
    else:
        body = assert_json_error(response, 422, "validation_failed")
        assert [detail["field"] for detail in body["details"]] == [parameter]
    _tables_intact(session, 1)


def test_sql_metacharacters_in_page_cursors(client: FlaskClient, add_blog: Any) -> None:
    add_blog()
    for text in SQL:
        response = client.get("/", query_string={"before": text})
        assert response.status_code == 400
        assert response.mimetype == "text/html"


def _chunked(client: FlaskClient, path: str, content_type: str, size: int, auth: Headers) -> Any:
    """A body without Content-Length, streamed as a server such as gunicorn hands it to the app."""
    return client.post(
        path,
        input_stream=io.BytesIO(b" " * size),
        headers={**auth, "Content-Type": content_type, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/api/v1/blogs", "application/json"), ("/api/v1/blogs/import", "text/x-opml")],
)
def test_oversized_bodies(
    client: FlaskClient, auth: Headers, storage: Snapshot, path: str, content_type: str
) -> None:
    before = storage()
    assert_json_error(
        client.post(path, data=b" " * (50 * MB), content_type=content_type, headers=auth),
        413,
        "payload_too_large",
    )
    assert_json_error(_chunked(client, path, content_type, 50 * MB, auth), 413, "payload_too_large")
    assert storage() == before


def test_chunked_bodies_up_to_the_limit_are_read(make_app: Callable[..., Flask], auth: Headers) -> None:
    """At exactly the limit the body is read whole (here: blank, so not JSON) rather than refused."""
    client = make_app(max_body_bytes=4096).test_client()
    assert_json_error(
        _chunked(client, "/api/v1/blogs", "application/json", 4096, auth), 400, "malformed_json"
    )
    assert_json_error(
        _chunked(client, "/api/v1/blogs", "application/json", 4097, auth), 413, "payload_too_large"
    )


@pytest.mark.parametrize(
    "query",
    ["/api/v1/blogs?tag=a&tag=b", "/api/v1/blogs?limit=1&limit=200", "/api/v1/entries?blog=1&blog=2&since=x"],
)
def test_repeated_parameters_are_refused(client: FlaskClient, add_blog: Any, query: str) -> None:
    """Read once, a parameter given twice could mean one thing here and another to a proxy in front."""
    add_blog()
    body = assert_json_error(client.get(query), 422, "validation_failed")
    name = query.split("?")[1].split("=")[0]
    assert body["details"] == [{"field": name, "message": "Give this parameter once", "type": "repeated"}]


@pytest.mark.parametrize("since", ["9", "1700000000", "1e9", "2026-01-01 00:00:00Z", "2026-01-01T00:00Z"])
def test_since_takes_only_rfc_3339_times(client: FlaskClient, add_blog: Any, since: str) -> None:
    """The document promises `format: date-time`; pydantic alone read `9` as 1970-01-01T00:00:09Z."""
    add_blog()
    body = assert_json_error(
        client.get("/api/v1/entries", query_string={"since": since}), 422, "validation_failed"
    )
    assert [detail["field"] for detail in body["details"]] == ["since"]
