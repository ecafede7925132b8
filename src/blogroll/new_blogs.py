"""From what a client gave to a blog ready to store: the one step the API, the CLI and the admin
pages share, so that all three accept the same blogs and find feeds the same way.

When the feed or the name is missing, the address given (the feed, else the site) is fetched and its
feed found with `blogroll.discovery`. That happens while the client waits (a blocking fetch inside
the request, as the API documents), so it is bounded more tightly than a worker's fetch: the search
stops starting fetches after `DISCOVERY_SECONDS`, each fetch also stops after `DISCOVERY_SECONDS`, and
no single connect or read waits longer than `DISCOVERY_WAIT`. At worst 8 + 8 + 4 = 20 s, inside the
proxy's 30 s and gunicorn's 60 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import TypeAdapter, ValidationError

from blogroll.discovery import Discovery, NoFeedFound, discover
from blogroll.formats import printable_line
from blogroll.i18n import gettext as _
from blogroll.schemas import BlogCreate, Name
from blogroll.storage.blogs import NewBlog
from blogroll.storage.models import NAME_LENGTH

if TYPE_CHECKING:
    from blogroll.config import Settings
    from blogroll.worker.fetch import GuardedBackend

# Seconds a discovery (and each of its fetches) may take while someone waits for the answer, and
# the longest one connect or read may wait.
DISCOVERY_SECONDS = 8.0
DISCOVERY_WAIT = 4.0
_NAME = TypeAdapter(Name)


@dataclass(frozen=True)
class PreparedBlog:
    """A blog ready for `storage.blogs.create_blog`, and the discovery that completed it, if any."""

    blog: NewBlog
    discovery: Discovery | None


def prepare_blog(
    given: BlogCreate,
    settings: Settings,
    *,
    backend: GuardedBackend | None = None,
    always_discover: bool = False,
) -> PreparedBlog:
    """The blog `given` describes, its feed found when it has none and its name when it has none.

    `always_discover` fetches the feed even when both are given, for a preview of its latest titles.
    Raises NoFeedFound (its message names the address) when no feed the worker can read is found,
    and ValidationError when what was found cannot be stored.
    """
    has_name = "name" in given.model_fields_set
    has_feed = "feed_url" in given.model_fields_set
    if has_name and has_feed and not always_discover:
        return PreparedBlog(_new_blog(given), None)
    address = str(given.feed_url) if has_feed else str(given.site_url)
    found = discover(address, while_waiting(settings), backend=backend)
    if has_feed and not found.address_is_feed:
        reason = _("it is a web page, not a feed; give it as site_url for Blogroll to find the page's feed")
        raise NoFeedFound(address, reason, found.candidates)
    # A site_url that was itself the feed is not the site: the feed's own link is.
    site_given = given.site_url is not None and (has_feed or not found.address_is_feed)
    completed = BlogCreate.model_validate(
        {
            "name": given.name if has_name else default_name(found),
            "feed_url": address if has_feed else found.feed_url,
            "site_url": str(given.site_url) if site_given else found.site_url,
            "description": given.description,
            "tags": given.tags,
        }
    )
    return PreparedBlog(_new_blog(completed), found)


def default_name(found: Discovery) -> str:
    """The discovered name made storable: characters a name may not hold taken out, cut to the
    length a name may have, and the host name when nothing is left."""
    name = printable_line(found.name)[:NAME_LENGTH].rstrip()
    try:
        return _NAME.validate_python(name)
    except ValidationError:
        return urlsplit(found.feed_url).hostname or found.feed_url[:NAME_LENGTH]


def _new_blog(valid: BlogCreate) -> NewBlog:
    return NewBlog(
        name=valid.name,
        feed_url=str(valid.feed_url),
        site_url=str(valid.site_url) if valid.site_url is not None else None,
        description=valid.description,
        tags=valid.tags,
    )


def while_waiting(settings: Settings) -> Settings:
    """The worker's fetch settings, with its time limits cut to what a waiting client can bear."""
    limits = {
        "fetch_total_timeout": min(settings.fetch_total_timeout, DISCOVERY_SECONDS),
        "fetch_connect_timeout": min(settings.fetch_connect_timeout, DISCOVERY_WAIT),
        "fetch_read_timeout": min(settings.fetch_read_timeout, DISCOVERY_WAIT),
    }
    return settings.model_copy(update=limits)
