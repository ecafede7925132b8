"""scripts/backup and scripts/restore on the running stack, PostgreSQL and MariaDB.

Fill the stack (blogs through the API, entries through the worker), back up to a file on the host,
`down -v`, bring the stack up empty, restore, and find every blog and entry as they were, compared as
the API's JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.blog_api import add_blogs, all_items, auth
from tests.helpers.compose_stack import FIXTURE_TITLES, Stack
from tests.helpers.waiting import wait_until

from .fault_stacks import (
    FEED_URL,
    database_of,
    fault_stack,
    record_figure,
    run_script,
)

pytestmark = pytest.mark.faults

BLOGS = 4


@pytest.fixture(scope="module")
def stack(database: str) -> Iterator[Stack]:
    with fault_stack(f"backup-{database}", database) as stack:
        yield stack


def snapshot(stack: Stack) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return all_items(stack.http, "/api/v1/blogs"), all_items(stack.http, "/api/v1/entries")


def test_a_restored_backup_has_every_blog_and_entry(stack: Stack, tmp_path: Path) -> None:
    token = stack.create_token("backup")
    add_blogs(stack.http, token, BLOGS, prefix="backup")
    wait_until(
        lambda: len(all_items(stack.http, "/api/v1/entries")) == BLOGS * len(FIXTURE_TITLES),
        timeout=120,
        what="the worker to fetch every blog's entries",
    )
    # The worker has nothing due for half an hour; stop it anyway, so nothing changes mid-comparison.
    stack.compose("stop", "worker")
    before = snapshot(stack)
    assert all(blog["fetch"]["last_fetched_at"] for blog in before[0]), before[0]

    dump = tmp_path / "blogroll.dump"
    result = run_script(stack, "backup", str(dump))
    assert result.stdout.strip() == str(dump)
    assert dump.stat().st_size > 0
    assert not Path(f"{dump}.partial").exists()
    record_figure(f"{stack.project}: backup of {BLOGS} blogs is {dump.stat().st_size} bytes")

    stack.down(volumes=True)
    stack.up()
    assert snapshot(stack) == ([], [])

    run_script(stack, "restore", str(dump))
    stack.compose("stop", "worker")
    wait_until(lambda: stack.http.get("/readyz").status_code == 200, timeout=60, what="/readyz after restore")
    assert snapshot(stack) == before
    # The tokens came back with the data: the one made before the backup writes again.
    response = stack.http.post(
        "/api/v1/blogs",
        json={"name": "After restore", "feed_url": f"{FEED_URL}?after=1"},
        headers=auth(token),
    )
    assert response.status_code == 201, response.text
    # New ids continue after the restored ones (sequences / AUTO_INCREMENT were restored too).
    assert response.json()["id"] > max(blog["id"] for blog in before[0])


def test_restore_refuses_an_empty_file(stack: Stack, tmp_path: Path) -> None:
    empty = tmp_path / "empty.dump"
    empty.write_bytes(b"")
    result = run_script(stack, "restore", str(empty), check=False)
    assert result.returncode == 1
    assert "missing or empty" in result.stderr


def test_restore_refuses_the_other_database_s_dump(stack: Stack, tmp_path: Path) -> None:
    mariadb = database_of(stack) == "mariadb"
    other = tmp_path / "other.dump"
    # A PostgreSQL custom-format dump starts with PGDMP; a MariaDB dump is SQL text.
    other.write_bytes(b"-- MariaDB dump\n" if not mariadb else b"PGDMP\x01\x10")
    result = run_script(stack, "restore", str(other), check=False)
    assert result.returncode == 1
    assert "dump" in result.stderr
    # Nothing was stopped for a refused restore.
    assert stack.http.get("/readyz").status_code == 200
