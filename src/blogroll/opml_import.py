"""Importing an OPML file into the blogroll: the one path the API, the CLI and the admin pages share,
and fetching a file from its address for the admin pages.

A file is fetched as the worker fetches feeds (`worker.fetch.Fetcher`): only public addresses unless
BLOGROLL_ALLOW_PRIVATE_FEEDS is set, redirects checked, the body cut off at the size an upload may
have (`max_body_bytes`), and the time bounded as for a feed discovery, since a person waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from blogroll.i18n import gettext as _
from blogroll.new_blogs import while_waiting
from blogroll.opml import ParsedOpml, parse_opml
from blogroll.schemas import WebUrl
from blogroll.storage.blogs import ImportOutcome, import_blogs

if TYPE_CHECKING:
    from blogroll.config import Settings
    from blogroll.worker.fetch import GuardedBackend

_WEB_URL = TypeAdapter(WebUrl)


@dataclass(frozen=True)
class OpmlImport:
    """What became of each outline: added or skipped (`outcome`), refused or noted (`parsed`)."""

    parsed: ParsedOpml
    outcome: ImportOutcome


def import_opml(session: Session, data: bytes) -> OpmlImport:
    """Imports every feed outline of `data` that is valid and new; the caller commits.

    Raises OpmlError when the file as a whole cannot be read (nothing is imported then), and
    DuplicateFeed when another writer added one of its feeds at the same moment.
    """
    parsed = parse_opml(data)
    return OpmlImport(parsed, import_blogs(session, parsed.blogs))


class OpmlFetchFailed(Exception):
    """The file could not be fetched; the message says why, for the person who gave the address."""


def too_large(limit: int) -> str:
    """What a keeper reads when a file is over the size an import may have, fetched or uploaded."""
    size = f"{limit:,}"
    return _("The file is larger than %(size)s bytes, the most an import may be.", size=size)


def fetch_opml(url: str, settings: Settings, *, backend: GuardedBackend | None = None) -> bytes:
    """The body at `url`, fetched with the worker's guard and limits; raises OpmlFetchFailed."""
    from blogroll.worker.fetch import AddressRefused, Fetcher, FetchError, TimedOut, TooLarge

    try:
        _WEB_URL.validate_python(url)
    except ValidationError:
        raise OpmlFetchFailed(_("Give the file's address, starting with http:// or https://.")) from None
    limits = while_waiting(settings).model_copy(update={"max_feed_bytes": settings.max_body_bytes})
    fetcher = Fetcher(limits, backend)
    try:
        return fetcher.fetch(url).body
    except AddressRefused as refused:
        if refused.host == refused.address:
            reason = _("%(address)s is a private address", address=refused.address)
        else:
            reason = _(
                "%(host)s is on a private network (%(address)s)", host=refused.host, address=refused.address
            )
        raise OpmlFetchFailed(
            _("%(reason)s; this blogroll fetches only from public addresses.", reason=reason)
        ) from None
    except TooLarge:
        raise OpmlFetchFailed(too_large(limits.max_feed_bytes)) from None
    except TimedOut:
        seconds = f"{limits.fetch_total_timeout:g}"
        raise OpmlFetchFailed(
            _("The server took longer than %(seconds)s s to send the file.", seconds=seconds)
        ) from None
    except FetchError as error:
        if error.status is not None and error.status >= 400:
            raise OpmlFetchFailed(_("The server answered %(answer)s.", answer=str(error))) from None
        raise OpmlFetchFailed(_("The file could not be fetched: %(reason)s.", reason=str(error))) from None
    finally:
        fetcher.close()
