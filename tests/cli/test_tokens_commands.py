"""`blogroll tokens`: create, list and revoke, and what the API makes of them."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

from blogroll import create_app
from blogroll.config import load_settings

from .invoke import Blogroll, database_file


def create_token(blogroll: Blogroll, name: str) -> str:
    result = blogroll("tokens", "create", "--name", name)
    assert result.exit_code == 0
    assert result.stderr == f"Token {name!r} created. Copy it now: it cannot be shown again.\n"
    return result.stdout.strip()


def test_tokens_create_prints_the_token_once_and_stores_only_its_hash(
    blogroll: Blogroll, migrated: None, data_dir: Path
) -> None:
    result = blogroll("tokens", "create", "--name", "ci")

    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    assert re.fullmatch(r"blr_[A-Za-z0-9_-]{43}", token)
    with sqlite3.connect(database_file(data_dir)) as connection:
        rows = connection.execute("SELECT name, token_hash FROM api_tokens").fetchall()
    connection.close()
    assert rows == [("ci", hashlib.sha256(token.encode()).hexdigest())]
    for stored in data_dir.iterdir():  # the database and its write-ahead log
        assert token.encode() not in stored.read_bytes()


def test_tokens_names_are_unique_and_not_empty(blogroll: Blogroll, migrated: None) -> None:
    create_token(blogroll, "ci")

    taken = blogroll("tokens", "create", "--name", "ci")
    empty = blogroll("tokens", "create", "--name", "  ")

    assert (taken.exit_code, empty.exit_code) == (1, 1)
    assert taken.output == "Error: a token named 'ci' already exists; pick another name or revoke it first\n"
    assert empty.output == "Error: --name must be 1 to 100 characters\n"


def test_tokens_list_shows_names_and_dates_but_never_tokens(blogroll: Blogroll, migrated: None) -> None:
    assert blogroll("tokens", "list").output == (
        "No tokens; create one with `blogroll tokens create --name NAME`.\n"
    )
    first = create_token(blogroll, "ci")
    create_token(blogroll, "laptop")

    listed = blogroll("tokens", "list").output

    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d"
    assert re.fullmatch(
        rf"   1  ci  created {stamp}  last used never\n   2  laptop  created {stamp}  last used never\n",
        listed,
    )
    assert first not in listed


def test_a_revoked_token_gets_401_from_the_api(blogroll: Blogroll, migrated: None) -> None:
    token = create_token(blogroll, "ci")
    app = create_app(load_settings())  # the same settings the command used
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    created = client.post(
        "/api/v1/blogs", json={"name": "A", "feed_url": "https://a.example/feed"}, headers=headers
    )
    assert created.status_code == 201
    assert re.search(r"last used \d{4}-\d\d-\d\d \d\d:\d\d\n", blogroll("tokens", "list").output)

    revoked = blogroll("tokens", "revoke", "ci")
    assert revoked.exit_code == 0
    assert revoked.output == "Revoked token 'ci'.\n"

    refused = client.post(
        "/api/v1/blogs", json={"name": "B", "feed_url": "https://b.example/feed"}, headers=headers
    )
    assert refused.status_code == 401
    assert refused.json == {
        "error": "unauthorized",
        "message": "the token is not valid (it may have been revoked)",
        "details": None,
    }
    assert (
        blogroll("tokens", "list").output
        == "No tokens; create one with `blogroll tokens create --name NAME`.\n"
    )
    from blogroll.storage.db import get_database

    get_database(app).engine.dispose()


def test_tokens_revoke_by_id_and_unknown_names(blogroll: Blogroll, migrated: None) -> None:
    create_token(blogroll, "ci")

    assert blogroll("tokens", "revoke", "1").output == "Revoked token 'ci'.\n"
    unknown = blogroll("tokens", "revoke", "ci")
    assert unknown.exit_code == 1
    assert unknown.output == "Error: there is no token named 'ci'\n"
