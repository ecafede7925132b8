"""Plain functions over entries: the latest posts, newest first, paged by a keyset cursor."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from blogroll.storage.models import MAX_ID, BlogTag, Entry


class BadCursor(ValueError):
    """The paging cursor (of entries or of blogs) was not one Blogroll made."""

    def __init__(self) -> None:
        super().__init__("cursor is not valid; use the `next` URL of a previous page")


@dataclass(frozen=True)
class EntryCursor:
    """Where a page of entries ends: the last entry's (published_at, id)."""

    published_at: dt.datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.published_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> EntryCursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            stamp, _, entry_id = raw.partition("|")
            published_at = dt.datetime.fromisoformat(stamp)
            if published_at.tzinfo is None:
                raise ValueError("naive")
            cursor = cls(published_at=published_at.astimezone(dt.UTC), id=int(entry_id))
        except (ValueError, OverflowError, binascii.Error) as error:
            raise BadCursor() from error
        if not 0 < cursor.id <= MAX_ID:
            raise BadCursor()
        return cursor

    @classmethod
    def after(cls, entry: Entry) -> EntryCursor:
        return cls(published_at=entry.published_at, id=entry.id)


def list_entries(
    session: Session,
    *,
    limit: int,
    blog_id: int | None = None,
    tag: str | None = None,
    since: dt.datetime | None = None,
    cursor: EntryCursor | None = None,
) -> list[Entry]:
    """Entries newest first; `cursor` continues after the last entry of the previous page."""
    query = select(Entry).order_by(Entry.published_at.desc(), Entry.id.desc()).limit(limit)
    if blog_id is not None:
        query = query.where(Entry.blog_id == blog_id)
    if tag is not None:
        query = query.where(Entry.blog_id.in_(select(BlogTag.blog_id).where(BlogTag.tag == tag)))
    if since is not None:
        query = query.where(Entry.published_at >= since)
    if cursor is not None:
        query = query.where(
            or_(
                Entry.published_at < cursor.published_at,
                and_(Entry.published_at == cursor.published_at, Entry.id < cursor.id),
            )
        )
    return list(session.scalars(query))


def get_entry(session: Session, entry_id: int) -> Entry | None:
    if not 0 < entry_id <= MAX_ID:
        return None
    return session.get(Entry, entry_id)


def guid_hash(guid: str) -> str:
    """The indexed key of a guid (guids are arbitrary text, too long to index on every engine)."""
    return hashlib.sha256(guid.encode()).hexdigest()
