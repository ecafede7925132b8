"""The admin table's words for stored reasons. A blog's `paused_reason` is data, kept (and served by
the API) in English; the admin pages show the reasons Blogroll itself writes in the reader's
language, and any other text as it was stored."""

from __future__ import annotations

import re

from blogroll.admin import bp
from blogroll.i18n import gettext as _
from blogroll.storage.blogs import GONE_REASON, KEEPER_PAUSE

# The two reasons the worker writes with numbers in them (worker/store.py, `pause_reason`).
AFTER_FAILURES = re.compile(r"paused after (\d+) consecutive failures; last error: (.*)", re.S)
AFTER_DAYS = re.compile(r"paused: no successful fetch in (\d+) days; last error: (.*)", re.S)


@bp.app_template_filter("pause_reason")
def pause_reason(reason: str | None) -> str:
    """Why a blog is paused, in the reader's language where Blogroll wrote the reason."""
    if not reason:
        return _("paused")
    if reason == KEEPER_PAUSE:
        return _("paused by a keeper")
    if reason == GONE_REASON:
        return _("paused: the feed answered 410 Gone (it was removed)")
    if failures := AFTER_FAILURES.fullmatch(reason):
        count, error = failures.groups()
        return _(
            "paused after %(count)s consecutive failures; last error: %(error)s", count=count, error=error
        )
    if days := AFTER_DAYS.fullmatch(reason):
        count, error = days.groups()
        return _(
            "paused: no successful fetch in %(count)s days; last error: %(error)s", count=count, error=error
        )
    return reason
