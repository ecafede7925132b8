"""The API's lists are written straight from rows (`schemas.blog_item`, `entry_item`, `list_json`);
these hold them to the very bytes the pydantic models (`BlogList`, `EntryList`) write, for rows as
varied as the database can hand back."""

from __future__ import annotations

import datetime as dt
import random
from typing import TypeVar

import pytest

from blogroll.schemas import BlogList, BlogOut, EntryList, EntryOut, blog_item, entry_item, list_json
from blogroll.storage.blogs import BlogRecord
from blogroll.storage.entries import EntryRecord

# Text a feed or a keeper can put in a name or a summary: accents, emoji, quotes, backslashes, HTML,
# the separators JSON writers disagree about (U+2028), a DEL, and control characters.
T = TypeVar("T")
ALPHABET = "aZ09 é漢字🙂\"'\\/<>&\u2028\u2029\x7f\t\n\r\x00\x1f\u00a0\ufeff"


def text(rng: random.Random, longest: int = 40) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, longest)))


def moment(rng: random.Random) -> dt.datetime:
    """A UTC time as the database returns one, sometimes with microseconds (PostgreSQL keeps them)."""
    seconds = rng.randint(0, 4_000_000_000)
    micro = rng.choice([0, rng.randint(1, 999_999)])
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(microsecond=micro)


def maybe(rng: random.Random, value: T) -> T | None:
    return None if rng.random() < 0.3 else value


def blog_record(rng: random.Random) -> BlogRecord:
    return BlogRecord(
        id=rng.randint(1, 2**31 - 1),
        name=text(rng),
        site_url=maybe(rng, "https://example.org/" + text(rng, 10)),
        feed_url="https://example.org/feed?x=" + text(rng, 10),
        description=text(rng, 200),
        created_at=moment(rng),
        updated_at=moment(rng),
        enabled=rng.random() < 0.8,
        paused_reason=maybe(rng, text(rng)),
        last_fetched_at=maybe(rng, moment(rng)),
        last_status=maybe(rng, rng.choice([200, 304, 404, 410, 500])),
        last_error=maybe(rng, text(rng)),
        consecutive_errors=rng.randint(0, 50),
        failing_since=maybe(rng, moment(rng)),
        next_fetch_at=moment(rng),
        etag=maybe(rng, '"' + text(rng, 10) + '"'),
        last_modified=maybe(rng, "Tue, 01 Dec 2026 10:00:00 GMT"),
        icon_digest=maybe(rng, f"{rng.getrandbits(128):032x}"),
        tags=sorted({text(rng, 8) for _ in range(rng.randint(0, 4))}),
    )


def entry_record(rng: random.Random) -> EntryRecord:
    return EntryRecord(
        id=rng.randint(1, 2**31 - 1),
        blog_id=rng.randint(1, 2**31 - 1),
        guid=text(rng),
        title=text(rng),
        link=maybe(rng, "https://example.org/" + text(rng, 10)),
        author=text(rng, 10),
        summary="<p>" + text(rng, 400) + "</p>",
        published_at=moment(rng),
        fetched_at=moment(rng),
    )


@pytest.mark.parametrize("seed", range(6))
def test_a_page_of_blogs_reads_as_the_model_writes_it(seed: int) -> None:
    rng = random.Random(seed)
    page = [blog_record(rng) for _ in range(50)]
    icons = [maybe(rng, f"https://blogroll.example/icons/{blog.id}.png") for blog in page]
    next_url = maybe(rng, "https://blogroll.example/api/v1/blogs?cursor=12&tag=x")
    pairs = list(zip(page, icons, strict=True))
    lean = list_json([blog_item(blog, icon_url=icon) for blog, icon in pairs], next_url)
    model = BlogList(items=[BlogOut.of(blog, icon_url=icon) for blog, icon in pairs], next=next_url)
    assert lean == model.model_dump_json().encode()


@pytest.mark.parametrize("seed", range(6))
def test_a_page_of_entries_reads_as_the_model_writes_it(seed: int) -> None:
    rng = random.Random(seed)
    page = [entry_record(rng) for _ in range(50)]
    next_url = maybe(rng, "https://blogroll.example/api/v1/entries?cursor=abc")
    lean = list_json([entry_item(entry) for entry in page], next_url)
    model = EntryList(items=[EntryOut.model_validate(entry) for entry in page], next=next_url)
    assert lean == model.model_dump_json().encode()


def test_an_empty_last_page() -> None:
    assert list_json([], None) == EntryList(items=[], next=None).model_dump_json().encode()
