"""What the schemathesis tests fuzz, against the live server (tests/security) and the compose stack
(tests/e2e): every documented operation, and which inputs no schema can tell valid from invalid."""

from __future__ import annotations

from typing import Any

import pytest
from schemathesis import Case, GenerationMode

from blogroll.api.docs import openapi_document


def documented_operations() -> list[Any]:
    """(method, path, mode) for every documented operation; negative only where there is input to spoil."""
    cases = []
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            has_input = "parameters" in item or "parameters" in operation or "requestBody" in operation
            modes = list(GenerationMode) if has_input else [GenerationMode.POSITIVE]
            cases += [pytest.param(method, path, mode, id=f"{method} {path} {mode}") for mode in modes]
    return cases


def is_opaque(case: Case[Any]) -> bool:
    """A paging cursor or an OPML file is any string by the schema, yet only some are valid and no JSON
    Schema can say which: for them a documented 422 is the right answer to "valid" data."""
    return "cursor" in (case.query or {}) or case.operation.path == "/api/v1/blogs/import"
