"""schemathesis against the live server: no 5xx, and every answer is one the OpenAPI document allows.

Each operation of the document gets schema-valid and schema-invalid requests, with a write token, and
every default check of schemathesis: server errors, status codes, content types, response schemas and
headers, invalid data rejected, valid data accepted, auth not ignored, unsupported methods refused.
A new blog that needs its feed found is sent to loopback (tests/helpers/fuzzing.py), where the server
refuses to look: valid data then gets the documented 422 `no_feed_found`, and nothing else.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.schemas import BaseSchema

from tests.helpers.fuzzing import documented_operations, is_opaque, runs_discovery, token_read
from tests.helpers.live_server import LiveServer

# Examples per operation and mode: under a minute for the whole run on two cores (300 took two).
EXAMPLES = 100


@pytest.fixture(scope="session")
def live_schema(live_server: LiveServer) -> BaseSchema:
    return schemathesis.openapi.from_url(f"{live_server.base}/api/v1/openapi.json")


@pytest.mark.parametrize(("method", "path", "mode"), documented_operations())
def test_api_answers_as_documented(
    live_schema: BaseSchema, live_server: LiveServer, method: str, path: str, mode: GenerationMode
) -> None:
    operation = live_schema[path][method.upper()]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None)
    def check(case: Case[Any]) -> None:
        excluded = [positive_data_acceptance] if is_opaque(case) else []
        if token_read(case) and mode is GenerationMode.NEGATIVE:
            excluded.append(negative_data_rejection)
        response = case.call_and_validate(headers=live_server.auth, excluded_checks=excluded)
        if runs_discovery(case) and mode is GenerationMode.POSITIVE:
            # A new blog's search fails to find a feed; a suggested one is refused the private address.
            assert response.status_code == 422
            assert response.json()["error"] in ("no_feed_found", "address_refused")

    check()
    assert "Traceback" not in live_server.output()
