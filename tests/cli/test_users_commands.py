"""`blogroll users`: accounts for the admin pages, made and changed from the shell."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, select

from blogroll.storage import users
from blogroll.storage.models import User

from .invoke import Blogroll, sqlite_url

PASSWORD = "a long enough passphrase"


def _stored_hash(data_dir: Path, name: str) -> str | None:
    engine = create_engine(sqlite_url(data_dir))
    with engine.connect() as connection:
        value = connection.scalar(select(User.password_hash).where(User.name == name))
    engine.dispose()
    return value


def test_create_reads_the_password_from_stdin_and_stores_only_a_hash(
    blogroll: Blogroll, migrated: None, data_dir: Path
) -> None:
    result = blogroll("users", "create", "ana", "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert result.output == "Created user 'ana'; they can sign in at /admin/.\n"
    stored = _stored_hash(data_dir, "ana")
    assert stored is not None and stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert users.HASHER.verify(stored, PASSWORD)


def test_create_asks_twice_at_a_hidden_prompt(blogroll: Blogroll, migrated: None) -> None:
    result = blogroll("users", "create", "ana", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert "Created user 'ana'" in result.output


def test_a_short_password_or_a_taken_name_is_one_readable_line(blogroll: Blogroll, migrated: None) -> None:
    short = blogroll("users", "create", "ana", "--password-stdin", input="short\n")
    assert short.exit_code == 1
    assert short.output == "Error: the password must be at least 12 characters\n"
    blogroll("users", "create", "ana", "--password-stdin", input=PASSWORD + "\n")
    taken = blogroll("users", "create", "ana", "--password-stdin", input=PASSWORD + "\n")
    assert taken.exit_code == 1
    assert taken.output == "Error: a user named 'ana' already exists; pick another name\n"


def test_list_delete_and_set_password(blogroll: Blogroll, migrated: None, data_dir: Path) -> None:
    for name in ("bo", "ana"):
        blogroll("users", "create", name, "--password-stdin", input=PASSWORD + "\n")
    listed = blogroll("users", "list").output.splitlines()
    assert [line.split()[1] for line in listed] == ["ana", "bo"]

    before = _stored_hash(data_dir, "bo")
    changed = blogroll("users", "set-password", "bo", "--password-stdin", input="another passphrase\n")
    assert changed.exit_code == 0, changed.output
    after = _stored_hash(data_dir, "bo")
    assert after != before and after is not None and users.HASHER.verify(after, "another passphrase")

    assert blogroll("users", "delete", "bo").output == "Deleted user 'bo'.\n"
    assert _stored_hash(data_dir, "bo") is None
    missing = blogroll("users", "delete", "bo")
    assert missing.exit_code == 1
    assert missing.output == "Error: there is no user named 'bo'\n"
    assert (
        blogroll("users", "set-password", "nobody", "--password-stdin", input=PASSWORD + "\n").exit_code == 1
    )


def test_no_users_yet_says_how_to_make_one(blogroll: Blogroll, migrated: None) -> None:
    assert blogroll("users", "list").output == "No users; create one with `blogroll users create NAME`.\n"
