"""`blogroll backup` and `blogroll restore` of the embedded SQLite database: consistent under writes,
restored row for row, refusing files that are not Blogroll's and a database in use."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select, update

from blogroll.storage.blogs import NewBlog, create_blog
from blogroll.storage.db import Database, make_engine
from blogroll.storage.migrate import is_current, upgrade
from blogroll.storage.models import Blog, Entry, utcnow
from blogroll.storage.tokens import create_token
from blogroll.storage.users import create_user
from tests.helpers.ports import free_port
from tests.helpers.processes import BLOGROLL, Processes, server_env
from tests.helpers.settings import make_settings
from tests.helpers.snapshots import Rows, every_row
from tests.helpers.waiting import wait_until

from .invoke import Blogroll, database_file, sqlite_url


def open_database(path: Path) -> Database:
    return Database(make_engine(make_settings(f"sqlite:///{path}")))


def rows_of(path: Path) -> Rows:
    database = open_database(path)
    try:
        with database.read_sessions() as session:
            return every_row(session)
    finally:
        database.engine.dispose()


@pytest.fixture
def live(data_dir: Path, migrated: None) -> Iterator[Database]:
    """The data folder's database, migrated, with a blog, a token and a user in it."""
    database = open_database(database_file(data_dir))
    with database.transaction() as session:
        create_blog(session, NewBlog(name="Busy", feed_url="https://busy.example.org/feed.xml", tags=["a"]))
        create_token(session, "laptop")
        create_user(session, "keeper", "correct horse battery staple")
    yield database
    database.engine.dispose()


class Writer(threading.Thread):
    """Adds an entry and records the count on the blog, in one transaction each, until stopped: a
    consistent copy has exactly as many entries as its blog's description says."""

    def __init__(self, database: Database) -> None:
        super().__init__(daemon=True)
        self.database = database
        self.written = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set() and self.written < 20_000:
            with self.database.transaction() as session:
                blog_id = session.scalars(select(Blog.id)).one()
                n = self.written + 1
                session.add(
                    Entry(blog_id=blog_id, guid=f"g{n}", guid_hash=f"{n:064d}", title=f"#{n}",
                          summary="<p>" + "x" * 2000 + "</p>", published_at=utcnow())
                )  # fmt: skip
                session.execute(update(Blog).values(description=str(n)))
            self.written = n

    def wait_for(self, count: int) -> None:
        wait_until(lambda: self.written >= count, timeout=30, every=0.01, what=f"{count} writes")


def test_a_backup_under_writes_is_consistent_and_restores_every_row(
    blogroll: Blogroll, live: Database, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = Writer(live)
    writer.start()
    writer.wait_for(200)
    backup = tmp_path / "backups" / "blogroll.sqlite"

    before = writer.written
    result = blogroll("backup", str(backup))
    after = writer.written
    writer.wait_for(after + 100)  # it kept writing
    writer.stopping.set()
    writer.join(timeout=30)

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Backed up {sqlite_url(data_dir)} to {backup}: 1 blog(s), ")
    assert backup.stat().st_mode & 0o777 == 0o600
    assert not backup.with_name("blogroll.sqlite.partial").exists()
    copied = rows_of(backup)
    [blog] = copied["blogs"]
    entries = len(copied["entries"])
    assert before <= entries <= after + 1
    assert blog[4] == str(entries), "the blog's count matches the entries: one snapshot"

    monkeypatch.setenv("BLOGROLL_DATA_DIR", str(tmp_path / "empty"))
    restored = blogroll("restore", str(backup))

    assert restored.exit_code == 0, restored.output
    assert f"{entries} entries" in restored.output
    assert rows_of(tmp_path / "empty" / "blogroll.db") == copied
    source = rows_of(database_file(data_dir))
    assert copied["entries"] == source["entries"][:entries]
    # The summary of a tag's entries (one row per entry here: one tag) is copied with its entries.
    assert len(copied["entry_tags"]) == entries
    assert copied["entry_tags"] == [row for row in source["entry_tags"] if row[2] <= entries]
    unchanged = set(source) - {"entries", "blogs", "entry_tags"}
    assert {table: copied[table] for table in unchanged} == {table: source[table] for table in unchanged}
    assert len(copied["api_tokens"]) == len(copied["users"]) == len(copied["blog_tags"]) == 1


def test_backup_while_blogroll_run_serves_and_restore_waits_for_it_to_stop(
    tmp_path: Path, processes: Processes
) -> None:
    port = free_port()
    env = server_env(tmp_path, BLOGROLL_PORT=str(port))
    server = processes.start("run", env=env)
    wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200,
               timeout=60, every=0.1, what="/healthz")  # fmt: skip
    backup = tmp_path / "copy.sqlite"

    def blogroll(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BLOGROLL, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
        )

    made = blogroll("backup", str(backup))
    refused = blogroll("restore", str(backup))

    assert made.returncode == 0, made.stderr
    assert refused.returncode == 1
    assert "is in use by another process: stop `blogroll run`" in refused.stderr
    assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200, "still serving"

    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0
    restored = blogroll("restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"Restored {backup} to sqlite:///")


def missing(tmp_path: Path, _good: Path) -> Path:
    return tmp_path / "missing.sqlite"


def text_file(tmp_path: Path, _good: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    return path


def sqlite_with(path: Path, *statements: str) -> Path:
    connection = sqlite3.connect(path)
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.close()
    return path


def another_apps(tmp_path: Path, _good: Path) -> Path:
    return sqlite_with(tmp_path / "other.sqlite", "CREATE TABLE t (x)")


def newer_blogroll(tmp_path: Path, _good: Path) -> Path:
    return sqlite_with(
        tmp_path / "newer.sqlite",
        "CREATE TABLE alembic_version (version_num TEXT)",
        "INSERT INTO alembic_version VALUES ('9999')",
        "CREATE TABLE blogs (id INTEGER)",
        "CREATE TABLE entries (id INTEGER)",
    )


def damaged(tmp_path: Path, good: Path) -> Path:
    path = tmp_path / "damaged.sqlite"
    data = bytearray(good.read_bytes())
    data[4096:8192] = b"\xff" * 4096
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (missing, "missing.sqlite is not a file"),
        (text_file, "notes.txt is not a SQLite database"),
        (
            another_apps,
            "is a SQLite database but not Blogroll's (it has no alembic_version, blogs, entries table)",
        ),
        (
            newer_blogroll,
            "has schema version 9999, which this Blogroll does not know: it was made by a newer",
        ),
        (damaged, "damaged.sqlite cannot be read as a SQLite database"),
    ],
)
def test_restore_refuses_what_is_not_a_blogroll_database_and_changes_nothing(
    blogroll: Blogroll,
    live: Database,
    data_dir: Path,
    tmp_path: Path,
    make: Callable[[Path, Path], Path],
    message: str,
) -> None:
    good = tmp_path / "good.sqlite"
    assert blogroll("backup", str(good)).exit_code == 0
    before = rows_of(database_file(data_dir))
    bad = make(tmp_path, good)

    result = blogroll("restore", str(bad))

    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot restore: ")
    assert message in result.output
    assert rows_of(database_file(data_dir)) == before


def test_a_backup_is_not_overwritten_unless_asked(blogroll: Blogroll, live: Database, tmp_path: Path) -> None:
    backup = tmp_path / "kept.sqlite"
    backup.write_text("an older backup")

    refused = blogroll("backup", str(backup))
    assert refused.exit_code == 1
    assert "exists; give another file name, or --replace to overwrite it" in refused.output
    assert backup.read_text() == "an older backup"

    replaced = blogroll("backup", "--replace", str(backup))
    assert replaced.exit_code == 0, replaced.output
    assert rows_of(backup)["blogs"][0][1] == "Busy"


def test_backup_of_a_database_not_made_yet_says_so(
    blogroll: Blogroll, data_dir: Path, tmp_path: Path
) -> None:
    result = blogroll("backup", str(tmp_path / "copy.sqlite"))

    assert result.exit_code == 1
    assert f"there is no database at {database_file(data_dir)} yet: nothing to back up" in result.output


def test_an_older_backup_is_restored_and_brought_up_to_date(
    blogroll: Blogroll, data_dir: Path, tmp_path: Path
) -> None:
    old = tmp_path / "old.sqlite"
    engine = create_engine(f"sqlite:///{old}")
    upgrade(engine, "0003")
    engine.dispose()

    result = blogroll("restore", str(old))

    assert result.exit_code == 0, result.output
    assert "schema 0003" in result.output
    assert result.output.endswith("Brought its schema up to date.\n")
    engine = create_engine(sqlite_url(data_dir))
    assert is_current(engine)
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "tools"),
    [
        ("postgresql://blogroll:secret@db.example/blogroll", "pg_dump (and pg_restore)"),
        ("mysql://blogroll:secret@db.example/blogroll", "mariadb-dump (and the mariadb client to restore)"),
    ],
)
@pytest.mark.parametrize("command", ["backup", "restore"])
def test_server_databases_are_pointed_to_their_own_tools(
    blogroll: Blogroll, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, tools: str, command: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)

    result = blogroll(command, str(tmp_path / "file"))

    assert result.exit_code == 1
    assert f"back it up and restore it with {tools}" in result.output
    assert "`scripts/backup` and `scripts/restore`" in result.output
    assert "secret" not in result.output
    assert not (tmp_path / "file").exists()
