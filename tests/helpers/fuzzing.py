"""What the schemathesis tests fuzz, against the live server (tests/security) and the compose stack
(tests/e2e): every documented operation, which inputs no schema can tell valid from invalid, and the
one rewrite that keeps fuzzing off the network.

A new blog without `feed_url` or `name` makes the server fetch the address given, to find its feed:
fuzzed, that would be a random host on the internet. So before any such request is sent, every URL
in it that the server would accept becomes `LOOPBACK`, which the server's fetch guard refuses
without connecting (and where nothing listens, were private addresses allowed): the server answers
its documented 422 `no_feed_found`, and nothing leaves 127.0.0.1. The rewrite is a schemathesis
`before_call` hook, registered when this module is imported, so that every fuzz test that uses
these helpers has it.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from pydantic import TypeAdapter, ValidationError
from schemathesis import Case, GenerationMode

from blogroll.api.docs import openapi_document
from blogroll.schemas import WebUrl

# The discard port on loopback: refused by the guard (a private address), and closed if it were not.
LOOPBACK = "http://127.0.0.1:9/"
_WEB_URL = TypeAdapter(WebUrl)


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
    Schema can say which: for them a documented 422 is the right answer to "valid" data. So is a site
    address to find a feed at: only one that leads to a feed is accepted (and fuzzing leads nowhere)."""
    return (
        "cursor" in (case.query or {})
        or case.operation.path == "/api/v1/blogs/import"
        or runs_discovery(case)
    )


def runs_discovery(case: Case[Any]) -> bool:
    """Whether the server would look for a feed to answer `case`: a new blog without feed or name, or
    any suggested blog (its feed is always fetched)."""
    body = case.body
    if case.method.upper() != "POST" or not isinstance(body, dict):
        return False
    if case.operation.path == "/api/v1/submissions":
        return True
    return case.operation.path == "/api/v1/blogs" and not ("feed_url" in body and "name" in body)


def token_read(case: Case[Any]) -> bool:
    """A read that needs a token (the queue of suggestions): the harness sends its token with every
    request, so a case that "leaves out" Authorization still carries it, and its only other possible
    flaw, an unknown query parameter, is ignored by design; its answer is then rightly a 200."""
    return case.method.upper() == "GET" and case.operation.path == "/api/v1/submissions"


@schemathesis.hook
def before_call(context: Any, case: Case[Any], **kwargs: Any) -> None:
    """Points every address a discovery would fetch at `LOOPBACK`; invalid ones stay invalid."""
    body = case.body
    if not runs_discovery(case) or not isinstance(body, dict):
        return
    for field in ("feed_url", "site_url"):
        if _accepted_url(body.get(field)):
            body[field] = LOOPBACK


def _accepted_url(value: object) -> bool:
    try:
        _WEB_URL.validate_python(value, strict=True)
    except ValidationError:
        return False
    return True
