"""Reading a blog's stored icon, for the address that serves it (the worker writes them: worker.icons)."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from blogroll.storage.models import MAX_ID, Blog, BlogIcon


class StoredIcon(NamedTuple):
    data: bytes
    content_type: str
    digest: str


def get_icon(session: Session, blog_id: int) -> StoredIcon | None:
    """The blog's icon, or None when it has none (or there is no such blog)."""
    if not 0 < blog_id <= MAX_ID:
        return None
    row = session.execute(
        select(BlogIcon.data, BlogIcon.content_type, Blog.icon_digest)
        .join(Blog, Blog.id == BlogIcon.blog_id)
        .where(BlogIcon.blog_id == blog_id)
    ).first()
    if row is None or row.data is None or row.content_type is None or row.icon_digest is None:
        return None
    return StoredIcon(row.data, row.content_type, row.icon_digest)
