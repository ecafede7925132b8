"""JSON Feed 1.1 validation for the feeds Blogroll serves: the schema in tests/fixtures/jsonfeed (written
from the spec), with `uri` and `date-time` formats really checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_PATH = Path(__file__).parent.parent / "fixtures" / "jsonfeed" / "jsonfeed-1.1.schema.json"


def is_absolute_uri(value: object) -> bool:
    """Feeds are read out of context: every address in one must be absolute."""
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.scheme == "mailto"))


def _checker() -> FormatChecker:
    checker = FormatChecker()
    # jsonschema checks `date-time` only with rfc3339-validator installed (it is, through the dev
    # group); a silent pass would hide bad dates, so its absence fails here.
    assert "date-time" in checker.checkers, "jsonschema cannot check date-time: install rfc3339-validator"
    # Its own `uri` check needs yet another package; this one is all a feed needs.
    checker.checks("uri")(is_absolute_uri)
    return checker


VALIDATOR = Draft202012Validator(json.loads(SCHEMA_PATH.read_text()), format_checker=_checker())


def json_feed_errors(document: Any) -> list[str]:
    """Every way `document` fails JSON Feed 1.1, as `path: message` lines (none when valid)."""
    return [
        f"{'/'.join(str(part) for part in error.absolute_path)}: {error.message}"
        for error in VALIDATOR.iter_errors(document)
    ]
