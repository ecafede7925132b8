"""schemathesis against the running compose stack, through its proxy: no 5xx, every answer documented.

The same operations and checks as tests/security/test_fuzz_live_api.py (which fuzzes `blogroll run`
on SQLite with more examples), here through nginx, gunicorn and the stack's own database, on
PostgreSQL and MariaDB: what the proxy adds (its limits, its own 503 and 429 answers, its headers)
must be documented too. Writes are paced below the proxy's write limit (10 per second per address),
so that a 429 is never mistaken for a refusal of valid data.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.schemas import BaseSchema

from tests.helpers.compose_stack import Stack, production_files, running_stack
from tests.helpers.fuzzing import documented_operations, is_opaque

pytestmark = pytest.mark.e2e

# Examples per operation and mode: the stack runs twice (two databases), so fewer than the live server's.
EXAMPLES = 25
# Just above the proxy's 0.1 s between writes from one address (rate=10r/s).
WRITE_SPACING = 0.11


@pytest.fixture(scope="module", params=["postgresql", "mariadb"])
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    variant: str = request.param
    with running_stack(
        f"blogroll-e2e-fuzz-{variant}", production_files(variant), label=f"{variant} fuzz stack"
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def auth(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.create_token('fuzz')}"}


@pytest.fixture(scope="module")
def stack_schema(stack: Stack) -> BaseSchema:
    return schemathesis.openapi.from_url(stack.url("/api/v1/openapi.json"))


@pytest.mark.parametrize(("method", "path", "mode"), documented_operations())
def test_the_stack_answers_as_documented(
    stack: Stack, stack_schema: BaseSchema, auth: dict[str, str], method: str, path: str, mode: Any
) -> None:
    operation = stack_schema[path][method.upper()]
    mode = GenerationMode(mode)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None)
    def check(case: Case[Any]) -> None:
        if case.method != "GET":
            time.sleep(WRITE_SPACING)
        excluded = [positive_data_acceptance] if is_opaque(case) else []
        case.call_and_validate(headers=auth, excluded_checks=excluded)

    check()
    logs = stack.compose("logs", "--no-color", "web").stdout
    assert "Traceback" not in logs
