"""API test helpers: storage snapshots, apps with other settings, and the documented contract."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from werkzeug.test import TestResponse

from blogroll.api.docs import openapi_document

DOCUMENT_URI = "urn:blogroll:openapi"


def _assert_error(response: TestResponse, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.json  # type: ignore[assignment]
    assert set(body) == {"error", "message", "details"}
    assert body["error"] == error
    assert isinstance(body["message"], str) and body["message"]
    assert re.fullmatch(r"[A-Za-z0-9._-]{8,64}", response.headers["X-Request-ID"])
    text = response.get_data(as_text=True)
    for leak in ("Traceback", 'File "', "sqlalchemy", "psycopg", "pymysql", "Error:", "0x"):
        assert leak not in text
    return body


@pytest.fixture
def expect_error() -> Callable[[TestResponse, int, str], dict[str, Any]]:
    """`expect_error(response, 422, "validation_failed")`: the error shape, returning its body."""
    return _assert_error


@pytest.fixture(scope="session")
def document() -> dict[str, Any]:
    return openapi_document()


@pytest.fixture
def conforms(document: dict[str, Any]) -> Callable[[TestResponse, str, str], None]:
    """`conforms(response, "get", "/api/v1/blogs/{blog_id}")`: the status is documented for that
    operation and the JSON body validates against the documented schema."""
    registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, Resource.opaque(document))

    def check(response: TestResponse, method: str, path: str) -> None:
        documented = document["paths"][path][method]["responses"]
        assert str(response.status_code) in documented, f"{response.status_code} not documented"
        content = documented[str(response.status_code)].get("content")
        if content is None:
            assert response.get_data() == b""
            return
        assert response.mimetype in content
        schema = content[response.mimetype]["schema"]
        validator = Draft202012Validator(
            {"$ref": DOCUMENT_URI + schema["$ref"]} if "$ref" in schema else schema,
            registry=registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        validator.validate(response.json)

    return check
