"""API test fixtures: the documented error shape and the documented contract (OpenAPI)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from werkzeug.test import TestResponse

from blogroll.api.docs import openapi_document
from tests.helpers.errors import assert_json_error

DOCUMENT_URI = "urn:blogroll:openapi"


@pytest.fixture
def expect_error() -> Callable[[TestResponse, int, str], dict[str, Any]]:
    """`expect_error(response, 422, "validation_failed")`: the error shape, returning its body
    (tests/helpers/errors.py's `assert_json_error`, which the security tests import)."""
    return assert_json_error


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
