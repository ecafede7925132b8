"""How Blogroll reports invalid input, one item per field: the same for the API, OPML imports and the CLI.

Kept apart from `errors` (Flask's error handlers), so that callers outside a request can use it.
"""

from __future__ import annotations

from pydantic import ValidationError


def field_problem(field: str, message: str, kind: str) -> dict[str, str]:
    """One item of an error's `details`: which field, what is wrong with it, and a stable type."""
    return {"field": field, "message": message, "type": kind}


def validation_details(error: ValidationError) -> list[dict[str, str]]:
    """One item per failing field, named by its dotted path (`tags.0`), without echoing input."""
    return [
        field_problem(_dotted(problem["loc"]), problem["msg"], problem["type"])
        for problem in error.errors(include_url=False, include_input=False)
    ]


def _dotted(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(body)"
