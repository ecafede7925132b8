"""OPML files for the admin import tests: real ones from tests/fixtures/opml, and a small one with an
outline of every kind the report shows (added, already there, refused, noted)."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from .forms import form_token

FIXTURES = Path(__file__).parents[1] / "fixtures" / "opml"
KNOWN_FEED = "https://known.example.org/feed.xml"

# One outline of each kind: new, new with an invalid htmlUrl (noted), already in the blogroll (when
# a test adds KNOWN_FEED first), repeated within the file, and refused (not a web address).
MIXED = f"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Friends</title></head>
  <body>
    <outline text="Tech">
      <outline type="rss" text="Snake News" xmlUrl="https://snake.example/feed" htmlUrl="https://snake.example/"/>
      <outline type="rss" text="Odd Site" xmlUrl="https://odd.example/feed" htmlUrl="javascript:alert(1)"/>
    </outline>
    <outline type="rss" text="Known Again" xmlUrl="{KNOWN_FEED}"/>
    <outline type="rss" text="Snake Twice" xmlUrl="https://snake.example/feed"/>
    <outline type="rss" text="Gopher Hole" xmlUrl="gopher://hole.example/feed"/>
  </body>
</opml>
""".encode()


def real_file(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def upload(
    browser: FlaskClient, data: bytes, filename: str = "friends.opml", token: str | None = None
) -> Any:
    """Posts `data` through the import page's file form, with the page's CSRF token unless given."""
    token = form_token(browser, "/admin/import") if token is None else token
    return browser.post(
        "/admin/import/file",
        data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def from_address(browser: FlaskClient, url: str, token: str | None = None) -> Any:
    token = form_token(browser, "/admin/import") if token is None else token
    return browser.post("/admin/import/url", data={"csrf_token": token, "url": url})


def section(page: str, name: str) -> list[str]:
    """The items of one part of the report (added, skipped, refused, notes), as plain text."""
    match = re.search(rf'<section class="report" aria-labelledby="{name}">(.*?)</section>', page, re.DOTALL)
    if match is None:
        return []
    items = re.findall(r"<li>(.*?)</li>", match.group(1), re.DOTALL)
    return [html.unescape(" ".join(re.sub(r"<[^>]+>", " ", item).split())) for item in items]


def field_errors(page: str, field: str) -> list[str]:
    """The errors shown beside a field, as plain text."""
    match = re.search(rf'<ul class="errors" id="{field}-errors">(.*?)</ul>', page, re.DOTALL)
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", match.group(1))] if match else []
