"""Checking an answer against the OpenAPI document: its status is documented for the operation and
its JSON body validates against the documented schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from werkzeug.test import TestResponse

DOCUMENT_URI = "urn:blogroll:openapi"


def conformance_check(document: dict[str, Any]) -> Callable[[TestResponse, str, str], None]:
    """`check(response, "get", "/api/v1/blogs/{blog_id}")` against `document`."""
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
