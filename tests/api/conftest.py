"""API test fixtures: the documented error shape and the documented contract (OpenAPI)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from werkzeug.test import TestResponse

from blogroll.api.docs import openapi_document
from tests.helpers.errors import assert_json_error
from tests.helpers.openapi import conformance_check


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
    return conformance_check(document)
