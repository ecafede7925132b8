"""Numbered pages of a list (the blogroll on /blogs/, the admin blog table): the `?page=` argument."""

from __future__ import annotations

from flask import abort, request
from flask_babel import gettext as _

# Past this, ?page= is refused before it reaches the database as an enormous OFFSET.
MAX_PAGE = 100_000


def page_number_arg() -> int:
    """`?page=`: a whole number from 1 (1 when absent); anything else is a 400 that says so."""
    text = request.args.get("page")
    if text is None:
        return 1
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_PAGE:
        abort(400, _("That page number is not valid: pages are numbered from 1."))
    return int(text)
