"""Backups of the embedded SQLite database: one consistent copy while Blogroll runs, and its restore.

A backup uses SQLite's online backup API in one step: it reads one snapshot of the database (under
WAL, writers go on meanwhile and the copy has none of their half-done work), into a file of its own
written beside the target and renamed when complete. A restore first checks that the file is a
Blogroll database this version can read, then takes an exclusive lock on the live database, which
fails while any other process has it open (every Blogroll process keeps connections open), and
copies the backup in with the same API while holding that lock.

Server databases are backed up with their own tools (pg_dump, mariadb-dump); `server_tools` says so.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from blogroll.storage.migrate import known_revisions

SQLITE_MAGIC = b"SQLite format 3\x00"
# The tables without which a file is not a Blogroll database, whatever its revision.
REQUIRED_TABLES = {"alembic_version", "blogs", "entries"}


class BackupProblem(Exception):
    """The backup or restore cannot be done; the message says why and what to do, in one line."""


@dataclass(frozen=True)
class Contents:
    """What a Blogroll SQLite file holds, as the commands report it."""

    revision: str
    blogs: int
    entries: int


def server_tools(url: URL) -> str | None:
    """For a server database, the sentence that names the tools to use; None for SQLite."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return None
    where = url.render_as_string(hide_password=True)
    if backend == "postgresql":
        tools = "pg_dump (and pg_restore)"
    else:
        tools = "mariadb-dump (and the mariadb client to restore)"
    return (
        f"the database is a {backend} server ({where}): back it up and restore it with {tools}; "
        "for the Compose stack, `scripts/backup` and `scripts/restore` do it (docs/operations.md)"
    )


def sqlite_file(url: URL) -> Path:
    """The file of a SQLite URL; an in-memory database has none to back up."""
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupProblem(f"the SQLite database {url.database or ':memory:'} is not a file")
    return Path(url.database)


def backup(source: Path, target: Path, *, replace: bool = False) -> Contents:
    """Copies the live database `source` to `target` consistently, readers and writers going on."""
    if not source.is_file():
        raise BackupProblem(f"there is no database at {source} yet: nothing to back up")
    if target.exists() and not replace:
        raise BackupProblem(f"{target} exists; give another file name, or --replace to overwrite it")
    if target.resolve() == source.resolve():
        raise BackupProblem(f"{target} is the database itself; give another file name")
    inspect_database(source)  # a Blogroll database, undamaged
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # Created first, empty (which SQLite reads as an empty database), so that it is private from the
    # start: the backup holds every token's and password's hash.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with (
            _closing(sqlite3.connect(source, timeout=30)) as live,
            _closing(sqlite3.connect(partial)) as copy,
        ):
            live.backup(copy)  # one step: one snapshot
            # A single self-contained file, without a -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
            _check_integrity(copy, partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return inspect_database(target)


def restore(source: Path, target: Path) -> Contents:
    """Replaces the database `target` (or creates it) with the backup `source`; refuses a file that is
    not a Blogroll database, and a database another process has open."""
    contents = inspect_database(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _closing(_connect_read_only(source)) as backup_file, _exclusive(target) as live:
        backup_file.backup(live)
        _check_integrity(live, target)
    return contents


def inspect_database(path: Path) -> Contents:
    """What the Blogroll database at `path` holds; raises BackupProblem if it is none (not SQLite,
    damaged, not Blogroll's, or from a newer version of Blogroll)."""
    if not path.is_file():
        raise BackupProblem(f"{path} is not a file")
    with path.open("rb") as file:
        if file.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupProblem(f"{path} is not a SQLite database")
    try:
        with _closing(_connect_read_only(path)) as connection:
            _check_integrity(connection, path)
            tables = {
                row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if not tables >= REQUIRED_TABLES:
                raise BackupProblem(
                    f"{path} is a SQLite database but not Blogroll's (it has no {_missing(tables)})"
                )
            versions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
            blogs = connection.execute("SELECT count(*) FROM blogs").fetchone()[0]
            entries = connection.execute("SELECT count(*) FROM entries").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupProblem(f"{path} cannot be read as a SQLite database ({error})") from None
    if len(versions) != 1:
        raise BackupProblem(f"{path} has no single schema version; it is not a Blogroll database")
    if versions[0] not in known_revisions():
        raise BackupProblem(
            f"{path} has schema version {versions[0]}, which this Blogroll does not know: "
            "it was made by a newer Blogroll; restore it with that version"
        )
    return Contents(revision=versions[0], blogs=blogs, entries=entries)


def _missing(tables: set[str]) -> str:
    return ", ".join(sorted(REQUIRED_TABLES - tables)) + " table"


def _connect_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)


def _check_integrity(connection: sqlite3.Connection, path: Path) -> None:
    result = connection.execute("PRAGMA quick_check").fetchone()
    if not result or result[0] != "ok":
        raise BackupProblem(f"{path} is damaged (SQLite's check says: {result[0] if result else 'nothing'})")


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection holding the database's exclusive lock until it closes; refused at once while any
    other process has the database open (under WAL each open connection holds a shared lock)."""
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("PRAGMA locking_mode=EXCLUSIVE")
        try:
            # Taken here, and kept after COMMIT in this locking mode, until the connection closes.
            connection.execute("BEGIN EXCLUSIVE")
            connection.execute("COMMIT")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                raise BackupProblem(f"cannot open the database at {path} ({error})") from None
            raise BackupProblem(
                f"the database at {path} is in use by another process: stop `blogroll run` (Ctrl-C, or "
                "your service manager: `systemctl stop`, `docker compose stop`) and any `blogroll worker` "
                "or `blogroll serve` using it, then restore again"
            ) from None
        yield connection
    finally:
        connection.close()


@contextlib.contextmanager
def _closing(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Closes the connection (sqlite3's own context manager only commits)."""
    try:
        yield connection
    finally:
        connection.close()
