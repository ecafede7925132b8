"""How Blogroll reports invalid input, one item per field: the same for the API, OPML imports and the CLI.

Kept apart from `errors` (Flask's error handlers), so that callers outside a request can use it.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from blogroll.i18n import gettext as _
from blogroll.schemas import MAX_TAGS, NO_ADDRESS


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


# What an OPML file calls each field, for messages about an outline.
FIELD_NAMES = {
    "name": "the title",
    "feed_url": "the feed address (xmlUrl)",
    "site_url": "the site address (htmlUrl)",
    "description": "the description",
    "tags": "the tags",
}


def describe_problem(problem: dict[str, str]) -> str:
    """A field's problem in words a person can act on: never a regular expression or a type name."""
    field = problem["field"]
    what = FIELD_NAMES.get(field.split(".")[0], field)
    if field.startswith("tags."):
        what = "a tag"
    kind = problem["type"]
    if kind == "string_pattern_mismatch":
        if what == "a tag":
            return (
                "a tag may hold letters, digits, spaces and _ . + - only, and starts with a letter or digit"
            )
        return f"{what} contains control characters or characters that cannot be stored"
    if kind in ("url_scheme", "url_parsing", "url_syntax_violation", "url_type"):
        return f"{what} must be a web address starting with http:// or https://"
    if kind in ("string_too_short", "missing"):
        return f"{what} is empty"
    if kind in ("string_too_long", "url_too_long", "too_long"):
        return f"{what} is too long ({problem['message'].split('at most ')[-1].rstrip('.')})"
    return f"{what}: {problem['message']}"


def describe_field(problem: dict[str, str], labels: Mapping[str, str]) -> str:
    """A form field's problem as a sentence led by the field's label ("Feed address must be a web
    address ..."), for the admin pages: never a regular expression, a type name or an API field name.

    `labels` maps each schema field to its label on the form; a problem of a field the form lacks
    is named by its schema name.
    """
    field = problem["field"]
    name, _dot, index = field.partition(".")
    label = labels.get(name, name)
    kind = problem["type"]
    if name == "tags" and index.isdigit():
        label = _("Tag %(number)s", number=int(index) + 1)
    if problem["message"] == NO_ADDRESS:
        return _("Give the feed address, or the site address for Blogroll to find the site's feed.")
    if kind == "string_pattern_mismatch":
        if name == "tags":
            return _(
                "%(label)s may hold only letters, digits, spaces and _ . + -, and must start with a "
                "letter or digit.",
                label=label,
            )
        return _("%(label)s contains control characters or characters that cannot be stored.", label=label)
    if kind in ("url_scheme", "url_parsing", "url_syntax_violation", "url_type"):
        return _("%(label)s must be a web address starting with http:// or https://.", label=label)
    if kind in ("string_too_short", "missing"):
        return _("%(label)s is empty.", label=label)
    if kind == "too_long" and name == "tags":
        return _("%(label)s: give at most %(count)s tags.", label=label, count=MAX_TAGS)
    if kind in ("string_too_long", "url_too_long"):
        limit = problem["message"].split("at most ")[-1].rstrip(".")
        return _("%(label)s is too long: at most %(limit)s.", label=label, limit=limit)
    return _("%(label)s: %(problem)s.", label=label, problem=problem["message"].rstrip("."))
