"""What one entry may take up: whatever a feed sends, an entry's title and summary stay small, so
pages and the database stay small, and entries too old to keep are not stored at all.

Applied as entries are stored (`store.store_feed`), after parsing: parsing reads the feed as it is,
this decides how much of it Blogroll keeps.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html

from blogroll.config import Settings
from blogroll.formats import printable_line
from blogroll.sanitize import cut_html
from blogroll.worker.parse import ParsedEntry

TITLE_LENGTH = 500
SUMMARY_BYTES = 64 * 1024
# The title of the "…" link that ends a cut summary.
MORE_TITLE = "The rest is on the blog"


def within_limits(entry: ParsedEntry) -> ParsedEntry:
    """The entry with its title made one printable line of at most TITLE_LENGTH characters and its
    summary cut to SUMMARY_BYTES of HTML (ending in a "…" element that links to the post)."""
    title = printable_line(entry.title)
    if len(title) > TITLE_LENGTH:
        title = title[: TITLE_LENGTH - 1].rstrip() + "…"
    summary = cut_html(entry.summary, SUMMARY_BYTES, ending=cut_marker(entry.link))
    if title == entry.title and summary == entry.summary:
        return entry
    return dataclasses.replace(entry, title=title, summary=summary)


def cut_marker(link: str | None) -> str:
    """What ends a cut summary: "…", a link to the post when the entry has one."""
    if not link:
        return "<p>…</p>"
    return f'<p><a href="{html.escape(link)}" title="{MORE_TITLE}">…</a></p>'


def too_old(entry: ParsedEntry, *, settings: Settings, now: dt.datetime) -> bool:
    """True for an entry published before BLOGROLL_ENTRY_RETENTION_DAYS (the pruning would delete it
    the next day); an undated entry is new by definition."""
    days = settings.entry_retention_days
    published = entry.published_at
    return bool(days) and published is not None and published < now - dt.timedelta(days=days)
