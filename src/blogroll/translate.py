"""Marks the strings people read, for translation: the one place the i18n work swaps for Flask-Babel.

Until Flask-Babel is set up, `gettext` and `lazy_gettext` only fill in their `%(name)s` variables,
with the same signature as flask_babel's, so replacing this module's bodies with
`from flask_babel import gettext, lazy_gettext` changes no caller.
"""

from __future__ import annotations


def gettext(string: str, **variables: object) -> str:
    """`string` in the reader's language (for now, as written), its `%(name)s` variables filled in."""
    return string % variables if variables else string


def lazy_gettext(string: str, **variables: object) -> str:
    """As `gettext`, for strings made at import time (form labels), translated when shown."""
    return gettext(string, **variables)
