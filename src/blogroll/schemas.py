"""The API's contract: pydantic models that validate requests, shape responses and make the OpenAPI."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    PlainSerializer,
    StringConstraints,
    UrlConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from blogroll.formats import WEB_SCHEMES, rfc3339_seconds
from blogroll.storage.models import MAX_ID, NAME_LENGTH, SUBMISSION_CONTACT_LENGTH, TAG_LENGTH, URL_LENGTH

# RFC 3339's date-time, as the OpenAPI document promises (`format: date-time`).
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _rfc3339_text(value: object) -> object:
    """Text must be an RFC 3339 time: pydantic alone would also read `9` as seconds after 1970."""
    if isinstance(value, str) and not _RFC3339.fullmatch(value):
        raise ValueError("give an RFC 3339 time, e.g. 2026-01-31T12:00:00Z")
    return value


def _require_aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("give a time zone, e.g. 2026-01-31T12:00:00Z")
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None


Timestamp = Annotated[dt.datetime, PlainSerializer(rfc3339_seconds, return_type=str)]
AwareDatetime = Annotated[dt.datetime, BeforeValidator(_rfc3339_text), AfterValidator(_require_aware)]
WebUrl = Annotated[
    HttpUrl,
    UrlConstraints(max_length=URL_LENGTH, allowed_schemes=sorted(WEB_SCHEMES)),
    PlainSerializer(str, return_type=str),
]
# Control characters are refused: PostgreSQL cannot store NUL, and XML (the OPML export) cannot carry them.
# Surrounding white space is stripped first; the patterns say so (SPACE at both ends), so that the
# OpenAPI document describes exactly what the server accepts. The server checks them with Rust's regex
# and strips Unicode white space, where `\s` includes U+0085; clients read them as ECMA-262, where `\s`
# includes U+FEFF instead. Both are named, so that the two readings accept the same strings.
SPACE = r"[\s\x85\ufeff]"
# Unicode's non-characters in the BMP: U+FFFE and U+FFFF cannot be written in XML at all (the OPML
# export), U+FDD0-U+FDEF are reserved for a program's own use; none belongs in shared data.
NONCHARACTERS = r"\ufdd0-\ufdef\ufffe\uffff"
VISIBLE = rf"[^\s\x00-\x1f\x7f\x85\ufeff{NONCHARACTERS}]"
# A tag's first character: a letter, digit or `_`, or any character from U+00C0 on that is not white
# space in either reading (no look-ahead: Rust's regex has none).
TAG_START = (
    r"[0-9A-Za-z_\u00c0-\u167f\u1681-\u1fff\u200b-\u2027\u202a-\u202e\u2030-\u205e\u2060-\u2fff"
    r"\u3001-\ufdcf\ufdf0-\ufefe\uff00-\ufffd]"
)


def sent_at_most(limit: int) -> BeforeValidator:
    """Holds the text as sent to `limit` characters, surrounding white space included. The OpenAPI
    document's `maxLength` counts it so (clients and fuzzers read it that way), while pydantic counts
    after `strip_whitespace`: without this, a name of 200 characters behind a few spaces was
    accepted against the document's word."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and len(value) > limit:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": limit},
            )
        return value

    return BeforeValidator(check)


@dataclass(frozen=True)
class StrippedText(StringConstraints):
    """`StringConstraints` that strip surrounding white space and hold `max_length` as sent too
    (`sent_at_most`), so that each text type says its limit once."""

    strip_whitespace: bool | None = True

    def __iter__(self) -> Iterator[Any]:
        yield from super().__iter__()
        if self.max_length is not None:
            yield sent_at_most(self.max_length)


Name = Annotated[
    str,
    StrippedText(
        min_length=1,
        max_length=NAME_LENGTH,
        pattern=rf"^{SPACE}*{VISIBLE}(?:[^\x00-\x1f\x7f{NONCHARACTERS}]*{VISIBLE})?{SPACE}*$",
    ),
]
Description = Annotated[
    str,
    StrippedText(
        max_length=5000,
        pattern=rf"^{SPACE}*(?:[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f{NONCHARACTERS}]*{VISIBLE})?{SPACE}*$",
    ),
]
Tag = Annotated[
    str,
    StrippedText(
        to_lower=True,
        min_length=1,
        max_length=TAG_LENGTH,
        # Letters, digits and `_`, then also space . + -; spelled out rather than `\w` so that the
        # OpenAPI document (ECMA-262 regex, where `\w` is ASCII) means exactly what the server does.
        pattern=rf"^{SPACE}*{TAG_START}[0-9A-Za-z_\u00c0-\ufdcf\ufdf0-\ufffd .+-]*{SPACE}*$",
    ),
]
# A blog's tags at the most (an OPML import keeps the first ones).
MAX_TAGS = 20
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]


class Strict(BaseModel):
    """Request bodies: unknown fields and type juggling are refused, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _absent(description: str | None = None) -> Any:
    """The default of a field the client may leave out but not send as null: None, which the schema
    does not mention (for a PATCH, `exclude_unset` keeps it out of storage)."""
    return Field(default=None, description=description, json_schema_extra=_without_default)


def _without_default(schema: dict[str, Any]) -> None:
    del schema["default"]


# What the 422 says when a new blog has no address at all, beside each field that could give one.
NO_ADDRESS = "give feed_url, or site_url for Blogroll to find the site's feed"


class BlogCreate(Strict):
    """A new blog: its feed, or only its site's address, from which Blogroll finds the feed. At least
    one of feed_url and site_url is required."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["feed_url"]},
                {"required": ["site_url"], "properties": {"site_url": {"type": "string"}}},
            ]
        }
    )

    name: Name = _absent("Default: the feed's title, else the site page's <title>, else its host name.")
    feed_url: WebUrl = _absent(
        "The blog's RSS or Atom feed; unique in the blogroll. Without it, the feed is found from site_url."
    )
    site_url: WebUrl | None = Field(
        default=None,
        description="The blog's home page. Given without feed_url, Blogroll fetches it and finds its "
        "feed (a site_url that is itself a feed is taken as the feed).",
    )
    description: Description = ""
    tags: Tags = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_an_address(self) -> BlogCreate:
        if self.feed_url is None and self.site_url is None:
            problem = PydanticCustomError("missing", NO_ADDRESS)
            fields = ("feed_url", "site_url")
            problems = [InitErrorDetails(type=problem, loc=(field,), input=None) for field in fields]
            raise ValidationError.from_exception_data("BlogCreate", problems)
        return self


class BlogUpdate(Strict):
    """Only the fields present are changed; only site_url may be null."""

    name: Name = _absent()
    feed_url: WebUrl = _absent()
    site_url: WebUrl | None = None
    description: Description = _absent()
    tags: Tags = _absent()
    enabled: bool = _absent(
        'False pauses fetching (paused_reason: "paused by a keeper"); true resumes it at the next '
        "pass, clearing paused_reason and the failure count."
    )


class FetchState(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enabled: bool = Field(description="False while fetching is paused (see paused_reason).")
    paused_reason: str | None = Field(
        description='Why fetching is paused, in words, while enabled is false: "paused by a keeper", '
        "or the worker's reason (410 Gone, too many failures in a row, too many days without a "
        "success). Null while enabled. Resuming (PATCH enabled=true, or refresh) clears it and "
        "starts the failure count anew."
    )
    last_fetched_at: Timestamp | None
    last_status: int | None = Field(description="HTTP status of the last fetch.")
    last_error: str | None
    consecutive_errors: int
    failing_since: Timestamp | None = Field(
        description="When the current run of failed fetches began; null while fetches succeed."
    )
    next_fetch_at: Timestamp
    etag: str | None
    last_modified: str | None


class BlogOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    site_url: str | None
    feed_url: str
    description: str
    tags: list[str]
    created_at: Timestamp
    updated_at: Timestamp
    icon_url: str | None = Field(
        description="The blog's icon, served by this Blogroll (never the blog's site): an absolute URL "
        "that changes when the icon does, so it may be cached for good; null while it has none."
    )
    fetch: FetchState

    @classmethod
    def of(cls, blog: Any, *, icon_url: str | None = None) -> BlogOut:
        """From a stored blog: an ORM object or a `BlogRecord` (a list's lighter rows). `icon_url`
        is given by the caller: it is absolute, and only a request knows the host."""
        return cls.model_validate(blog_item(blog, icon_url=icon_url))


_FETCH_FIELDS = tuple(FetchState.model_fields)
# BlogOut's fields before icon_url, in its order (JSON keys keep it): the columns and the tags.
_BLOG_ITEM_FIELDS = tuple(BlogOut.model_fields)[: tuple(BlogOut.model_fields).index("icon_url")]


def blog_item(blog: Any, *, icon_url: str | None) -> dict[str, Any]:
    """A blog as `BlogOut` shows it, as plain values, key for key: what `BlogOut.of` validates, and
    what a list writes straight out with `list_json` (a list's rows come from the database, valid
    already, so validating them again only copied them: most of the CPU of `GET /api/v1/blogs`).
    tests/api/test_list_json.py holds the two to the same bytes."""
    item = {name: getattr(blog, name) for name in _BLOG_ITEM_FIELDS}
    item["tags"] = list(blog.tags)
    item["icon_url"] = icon_url
    item["fetch"] = {name: getattr(blog, name) for name in _FETCH_FIELDS}
    return item


def entry_item(entry: Any) -> dict[str, Any]:
    """`EntryOut.model_validate(entry)` as plain values, for `list_json` (see `blog_item`)."""
    return {name: getattr(entry, name) for name in _ENTRY_FIELDS}


# Times as the API's `Timestamp` writes them: RFC 3339 in UTC with a `Z`, whole seconds.
_LIST_JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS | orjson.OPT_NAIVE_UTC


def list_json(items: list[dict[str, Any]], next_url: str | None) -> bytes:
    """A page of a list (`BlogList`, `EntryList`) as JSON bytes, written straight from plain values.
    The times are UTC (the database hands them back so); orjson writes them as `Timestamp` does."""
    return orjson.dumps({"items": items, "next": next_url}, option=_LIST_JSON_OPTIONS)


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    blog_id: int
    guid: str
    title: str
    link: str | None
    author: str
    summary: str = Field(description="Sanitized HTML.")
    published_at: Timestamp
    fetched_at: Timestamp


_ENTRY_FIELDS = tuple(EntryOut.model_fields)


class BlogList(BaseModel):
    items: list[BlogOut]
    next: str | None = Field(description="Absolute URL of the next page, or null on the last.")


class EntryList(BaseModel):
    items: list[EntryOut]
    next: str | None = Field(description="Absolute URL of the next page, or null on the last.")


class Hello(BaseModel):
    message: str
    version: str


class RefusedOutline(BaseModel):
    title: str = Field(description="The outline's title (or its feed address when it has none).")
    xml_url: str = Field(description="The outline's `xmlUrl`, as the file gives it.")
    reason: str = Field(description="Why it was not imported, in words.")


class ImportNote(BaseModel):
    title: str = Field(description="The imported outline's title.")
    note: str = Field(description="What was left out or changed, and why.")


class ImportResult(BaseModel):
    added: int = Field(description="Blogs new to the blogroll.")
    skipped: int = Field(description="Outlines whose feed was already in the blogroll.")
    items: list[BlogOut] = Field(description="The blogs added.")
    refused: list[RefusedOutline] = Field(
        description="Feed outlines not imported, each with its reason; the others were imported."
    )
    notes: list[ImportNote] = Field(
        description="Invalid optional attributes (htmlUrl, description) left out of imported blogs."
    )


class Error(BaseModel):
    error: str = Field(description="A stable, machine-readable code, e.g. `validation_failed`.")
    message: str = Field(description="What went wrong, for people.")
    details: Any = Field(default=None, description="For validation errors: one item per field.")


class RefreshResult(BaseModel):
    blog: BlogOut


class BlogQuery(BaseModel):
    tag: Tag | None = Field(default=None, description="Only blogs with this tag.")
    limit: int = Field(default=50, ge=1, le=200, description="Blogs per page.")
    cursor: str | None = Field(default=None, description="From a previous page's `next` URL.")


class EntryQuery(BaseModel):
    blog: int | None = Field(default=None, ge=1, le=MAX_ID, description="Only entries of this blog id.")
    tag: Tag | None = Field(default=None, description="Only entries of blogs with this tag.")
    since: AwareDatetime | None = Field(
        default=None, description="Only entries published at or after this RFC 3339 time."
    )
    limit: int = Field(default=50, ge=1, le=200, description="Entries per page.")
    cursor: str | None = Field(default=None, description="From a previous page's `next` URL.")


Note = Annotated[
    str,
    StrippedText(
        max_length=2000,
        pattern=rf"^{SPACE}*(?:[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f{NONCHARACTERS}]*{VISIBLE})?{SPACE}*$",
    ),
]
Contact = Annotated[
    str,
    StrippedText(
        max_length=SUBMISSION_CONTACT_LENGTH,
        pattern=rf"^{SPACE}*(?:{VISIBLE}(?:[^\x00-\x1f\x7f{NONCHARACTERS}]*{VISIBLE})?)?{SPACE}*$",
    ),
]


class SubmissionCreate(Strict):
    """A blog suggested for the blogroll; a keeper approves or rejects it. No token needed."""

    site_url: WebUrl = Field(description="The blog's home page; its feed is found from it.")
    name: Name = _absent("Default: the feed's title, else the page's <title>, else its host name.")
    feed_url: WebUrl = _absent("The blog's feed, when you know it; it is fetched to check it is one.")
    note: Note = Field(default="", description="A word for the keepers: why this blog belongs here.")
    contact: Contact = Field(
        default="", description="How the keepers may reach you (e-mail, a handle); never shown publicly."
    )


class SubmissionDiscovery(BaseModel):
    feed_url: str = Field(description="The feed found (or the one given, checked by fetching it).")
    feed_format: str = Field(description="`rss`, `atom` or `json`.")
    feed_title: str
    latest_titles: list[str] = Field(description="The feed's newest entry titles, newest first.")
    reason: str = Field(description="Why this feed, in words.")


class SubmissionReceipt(BaseModel):
    """What a submitter is told: the submission waits for a keeper, and what was found."""

    id: int
    status: str = Field(description="`pending` until a keeper approves or rejects it.")
    site_url: str
    name: str
    feed_url: str
    discovery: SubmissionDiscovery
    created_at: Timestamp


class SubmissionOut(SubmissionReceipt):
    """A submission as keepers see it (with a token): the contact too, and the decision once made."""

    note: str
    contact: str
    client_address: str
    decided_at: Timestamp | None
    decided_by: str | None
    reject_reason: str | None
    blog_id: int | None = Field(description="The blog made from it, once approved.")


class SubmissionList(BaseModel):
    items: list[SubmissionOut]
    next: str | None = Field(description="Absolute URL of the next page, or null on the last.")


class SubmissionQuery(BaseModel):
    status: Literal["pending", "approved", "rejected"] = Field(
        default="pending", description="Which submissions: the queue (pending) or those decided."
    )
    limit: int = Field(default=50, ge=1, le=200, description="Submissions per page.")
    cursor: str | None = Field(default=None, description="From a previous page's `next` URL.")


class SubmissionApproval(Strict):
    tags: Tags = Field(default_factory=list, description="Tags the new blog gets.")


class SubmissionRejection(Strict):
    reason: Annotated[
        str,
        StrippedText(
            min_length=1,
            max_length=500,
            pattern=rf"^{SPACE}*{VISIBLE}(?:[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f{NONCHARACTERS}]*{VISIBLE})?{SPACE}*$",
        ),
    ] = Field(description="Why, in words; kept with the submission.")
