"""The worker's fixtures: a harness that
adds blogs, runs a pass and reads back what was stored, on a real (committed) database (harness.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.feed_server import FeedServer

from .harness import Harness


@pytest.fixture
def harness(committed_database: str, feed_server: FeedServer) -> Iterator[Harness]:
    # Depends on feed_server so the server closes first and no fixture request outlives the data.
    harness = Harness(committed_database)
    yield harness
    harness.close()
