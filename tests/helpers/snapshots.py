"""Every row of every table, to prove that a refused request changed nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from blogroll.storage.models import Base

Rows = dict[str, list[tuple[Any, ...]]]
# The type of the `storage` fixture (tests/conftest.py): `storage()` takes a snapshot now.
Snapshot = Callable[[], Rows]


def every_row(session: Session) -> Rows:
    """Each table's rows, in primary-key order."""
    return {
        table.name: [
            tuple(row) for row in session.execute(select(table).order_by(*table.primary_key.columns))
        ]
        for table in Base.metadata.sorted_tables
    }
