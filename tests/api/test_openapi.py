"""The OpenAPI 3.1 document is valid, describes every API route, and the API answers what it says."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator

Headers = dict[str, str]
OPML = (
    b'<opml version="2.0"><body><outline type="rss" text="A" xmlUrl="https://a.example/feed"/></body></opml>'
)


def test_document_is_valid_openapi_3_1(client: FlaskClient, document: dict[str, Any]) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == document
    assert document["openapi"].startswith("3.1.")
    OpenAPIV31SpecValidator(response.json).validate()


def _api_routes(app: Flask) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every route the `api` blueprint registers."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != "api":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {
            (method.lower(), path) for method in rule.methods or () if method not in ("HEAD", "OPTIONS")
        }
    return routes


def _documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }


def test_every_route_is_documented_and_nothing_else(app: Flask, document: dict[str, Any]) -> None:
    assert _api_routes(app) == _documented(document)


def test_path_parameters_are_documented(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        named = set(re.findall(r"{(\w+)}", path))
        documented = {
            parameter["name"] for parameter in item.get("parameters", []) if parameter["in"] == "path"
        }
        assert named == documented, path


# Suggesting a blog is the one write anyone may make; reading the queue of suggestions needs a token.
PUBLIC_WRITES = {("post", "/api/v1/submissions")}
PRIVATE_READS = {("get", "/api/v1/submissions")}


def test_writes_are_marked_as_needing_a_token(document: dict[str, Any]) -> None:
    for method, path in _documented(document):
        operation = document["paths"][path][method]
        if (method == "get" and (method, path) not in PRIVATE_READS) or (method, path) in PUBLIC_WRITES:
            assert "security" not in operation, (method, path)
            assert "401" not in operation["responses"]
        else:
            assert operation["security"] == [{"bearer": []}], (method, path)
            assert "401" in operation["responses"]


def test_the_patch_schema_allows_null_only_for_site_url(document: dict[str, Any]) -> None:
    schema = {**document["components"]["schemas"]["BlogUpdate"], "$defs": document["components"]["schemas"]}
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"site_url": None})
    for field in ("name", "feed_url", "description", "tags", "enabled"):
        assert not validator.is_valid({field: None}), field
    assert not validator.is_valid({"unknown": 1})


# (method, documented path, request path, request arguments, expected status); {blog} and {entry}
# name an existing blog and entry; "auth": False leaves the token out.
CASES = [
    ("get", "/api/v1/", "/api/v1/", {}, 200),
    ("get", "/api/v1/openapi.json", "/api/v1/openapi.json", {}, 200),
    ("get", "/api/v1/blogs", "/api/v1/blogs?limit=1", {}, 200),
    ("get", "/api/v1/blogs", "/api/v1/blogs?tag=python", {}, 200),
    ("get", "/api/v1/blogs", "/api/v1/blogs?limit=x", {}, 422),
    (
        "post",
        "/api/v1/blogs",
        "/api/v1/blogs",
        {"json": {"name": "N", "feed_url": "https://n.example/"}},
        201,
    ),
    ("post", "/api/v1/blogs", "/api/v1/blogs", {"data": b"{", "content_type": "application/json"}, 400),
    ("post", "/api/v1/blogs", "/api/v1/blogs", {"json": {}, "auth": False}, 401),
    (
        "post",
        "/api/v1/blogs",
        "/api/v1/blogs",
        {"json": {"name": "Dup", "feed_url": "https://taken.example/"}},
        409,
    ),
    ("post", "/api/v1/blogs", "/api/v1/blogs", {"data": b"x", "content_type": "text/plain"}, 415),
    ("post", "/api/v1/blogs", "/api/v1/blogs", {"json": {"name": 1}}, 422),
    ("get", "/api/v1/blogs/{blog_id}", "/api/v1/blogs/{blog}", {}, 200),
    ("get", "/api/v1/blogs/{blog_id}", "/api/v1/blogs/424242", {}, 404),
    ("patch", "/api/v1/blogs/{blog_id}", "/api/v1/blogs/{blog}", {"json": {"site_url": None}}, 200),
    (
        "patch",
        "/api/v1/blogs/{blog_id}",
        "/api/v1/blogs/{blog}",
        {"data": b"]", "content_type": "application/json"},
        400,
    ),
    ("patch", "/api/v1/blogs/{blog_id}", "/api/v1/blogs/{blog}", {"json": {}, "auth": False}, 401),
    ("patch", "/api/v1/blogs/{blog_id}", "/api/v1/blogs/424242", {"json": {}}, 404),
    (
        "patch",
        "/api/v1/blogs/{blog_id}",
        "/api/v1/blogs/{blog}",
        {"json": {"feed_url": "https://taken.example/"}},
        409,
    ),
    (
        "patch",
        "/api/v1/blogs/{blog_id}",
        "/api/v1/blogs/{blog}",
        {"data": b"{}", "content_type": "text/plain"},
        415,
    ),
    ("patch", "/api/v1/blogs/{blog_id}", "/api/v1/blogs/{blog}", {"json": {"name": None}}, 422),
    ("delete", "/api/v1/blogs/{blog_id}", "/api/v1/blogs/{blog}", {}, 204),
    ("delete", "/api/v1/blogs/{blog_id}", "/api/v1/blogs/{blog}", {"auth": False}, 401),
    ("delete", "/api/v1/blogs/{blog_id}", "/api/v1/blogs/424242", {}, 404),
    ("post", "/api/v1/blogs/{blog_id}/refresh", "/api/v1/blogs/{blog}/refresh", {}, 202),
    ("post", "/api/v1/blogs/{blog_id}/refresh", "/api/v1/blogs/{blog}/refresh", {"auth": False}, 401),
    ("post", "/api/v1/blogs/{blog_id}/refresh", "/api/v1/blogs/424242/refresh", {}, 404),
    (
        "post",
        "/api/v1/blogs/import",
        "/api/v1/blogs/import",
        {"data": OPML, "content_type": "text/x-opml"},
        200,
    ),
    ("post", "/api/v1/blogs/import", "/api/v1/blogs/import", {"data": OPML, "auth": False}, 401),
    ("post", "/api/v1/blogs/import", "/api/v1/blogs/import", {"json": {}}, 415),
    (
        "post",
        "/api/v1/blogs/import",
        "/api/v1/blogs/import",
        {"data": b"<x/>", "content_type": "text/x-opml"},
        422,
    ),
    ("get", "/api/v1/entries", "/api/v1/entries", {}, 200),
    ("get", "/api/v1/entries", "/api/v1/entries?limit=1&blog={blog}", {}, 200),
    ("get", "/api/v1/entries", "/api/v1/entries?since=now", {}, 422),
    ("get", "/api/v1/entries/{entry_id}", "/api/v1/entries/{entry}", {}, 200),
    ("get", "/api/v1/entries/{entry_id}", "/api/v1/entries/424242", {}, 404),
]


@pytest.mark.parametrize(
    ("method", "documented", "path", "arguments", "status"),
    CASES,
    ids=[f"{method} {path} {status}" for method, _, path, _, status in CASES],
)
def test_responses_match_the_document(
    client: FlaskClient,
    auth: Headers,
    add_blog: Any,
    add_entry: Any,
    conforms: Callable[..., None],
    method: str,
    documented: str,
    path: str,
    arguments: dict[str, Any],
    status: int,
) -> None:
    blog = add_blog("Example", site_url="https://example.org/", tags=["python"])
    add_blog("Taken", feed_url="https://taken.example/")
    entry = add_entry(blog, summary="<p>hi</p>", author="Ada")
    add_entry(blog)
    arguments = dict(arguments)
    headers = auth if arguments.pop("auth", True) else {}

    response = getattr(client, method)(
        path.format(blog=blog.id, entry=entry.id), headers=headers, **arguments
    )

    assert response.status_code == status
    conforms(response, method, documented)


def test_a_413_matches_the_document(
    make_app: Callable[..., Flask], auth: Headers, conforms: Callable[..., None]
) -> None:
    client = make_app(max_body_bytes=1024).test_client()
    response = client.post("/api/v1/blogs", json={"name": "x" * 2000}, headers=auth)
    assert response.status_code == 413
    conforms(response, "post", "/api/v1/blogs")


def test_docs_page_lists_every_operation(client: FlaskClient, document: dict[str, Any]) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for method, path in _documented(document):
        operation = document["paths"][path][method]
        assert f'id="{operation["operationId"]}"' in page
        assert f"{method.upper()} {path}" in page
    assert 'href="/api/v1/openapi.json"' in page


# ECMA-262's `\s` (what clients of the document use), to read the patterns as they do.
ECMA_SPACE = "\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
TRICKY = [
    *"aZé_.+-", " ", "\t", "\n", "\r", "\x0b", "\x0c", "\x85", "\xa0", "\u1680", "\u2000", "\u200b",
    "\u2028", "\u202f", "\u3000", "\ufeff", "\x00", "\x1f", "\x7f", "\u00c0", "\ufefe", "\uffff",
]  # fmt: skip


@pytest.mark.parametrize("field", ["Name", "Description", "Tag"])
def test_text_patterns_mean_the_same_to_clients_and_server(field: str) -> None:
    """The server strips and checks with Unicode's white space, clients with ECMA-262's: for every
    short string of the characters where the two differ, both must accept or both refuse."""
    from itertools import product

    from pydantic import TypeAdapter, ValidationError

    from blogroll import schemas

    adapter = TypeAdapter(getattr(schemas, field))
    pattern = adapter.json_schema()["pattern"]
    assert "\\s" not in pattern.replace("[\\s", "").replace("[^\\s", ""), "\\s outside a class"
    as_clients_read_it = re.compile(pattern.replace("\\s", ECMA_SPACE))
    disagreements = []
    for length in (1, 2, 3):
        for characters in product(TRICKY, repeat=length):
            text = "".join(characters)
            try:
                adapter.validate_python(text)
                accepted = True
            except ValidationError:
                accepted = False
            if accepted != bool(as_clients_read_it.search(text)):
                disagreements.append(text)
    assert disagreements == []
