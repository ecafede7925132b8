"""OPML, the interchange format of blogrolls: parsed safely, written with a real XML library."""

from __future__ import annotations

import codecs
import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from email.utils import format_datetime
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from pydantic import ValidationError

from blogroll.formats import web_url
from blogroll.schemas import MAX_TAGS, BlogCreate
from blogroll.storage.blogs import NewBlog
from blogroll.storage.models import Blog
from blogroll.validation import validation_details

MAX_DEPTH = 32
MAX_OUTLINES = 10_000
# Elements of any kind: outlines, plus room for the head's few.
MAX_ELEMENTS = 2 * MAX_OUTLINES

# The encoding an XML declaration names, e.g. `<?xml version="1.0" encoding="ISO-8859-1"?>`.
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")

# Characters XML 1.0 cannot carry at all, not even escaped (control characters, lone surrogates).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class OpmlError(ValueError):
    """The file is not OPML Blogroll can import; `details` is `{"reason": ...}` for the whole file,
    or a list of the invalid outlines with their errors."""

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def parse_opml(data: bytes) -> list[NewBlog]:
    """Every feed outline in the file, validated like an API request; folders become tags.

    DTDs are refused outright, so no entity expansion or external entity can happen.
    """
    _check_byte_order_mark(data)
    parser = DefusedXMLParser(
        target=_BoundedTreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(data)
        root = parser.close()
    except OpmlError:  # the tree builder's limits
        raise
    except DefusedXmlException:
        message = "the file declares a DTD; Blogroll refuses DTDs, so entities cannot be expanded"
        raise OpmlError(message, {"reason": "dtd_forbidden"}) from None
    except ET.ParseError as error:
        line, column = error.position
        where = {"reason": "malformed_xml", "line": line, "column": column}
        raise OpmlError("the file is not well-formed XML", where) from None
    except (LookupError, ValueError):  # an encoding Python's XML parser does not know or cannot use
        raise OpmlError("the file is not well-formed XML", {"reason": "malformed_xml"}) from None
    if _local_name(root.tag) != "opml":
        raise OpmlError("not an OPML file: the root element must be <opml>", {"reason": "not_opml"})
    body = next((child for child in root if _local_name(child.tag) == "body"), None)
    if body is None:
        raise OpmlError("not an OPML file: there is no <body>", {"reason": "not_opml"})

    blogs: list[NewBlog] = []
    problems: list[dict[str, Any]] = []
    # Iterative pre-order walk (blogs come out in the file's order) with an explicit depth bound:
    # hostile nesting cannot exhaust the stack.
    stack: list[tuple[ET.Element, tuple[str, ...], int]] = [
        (outline, (), 1) for outline in reversed(_outlines(body))
    ]
    count = 0
    while stack:
        outline, folders, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise OpmlError(f"outlines are nested deeper than {MAX_DEPTH} levels", {"reason": "too_deep"})
        count += 1
        if count > MAX_OUTLINES:
            raise OpmlError(f"more than {MAX_OUTLINES} outlines", {"reason": "too_many_outlines"})
        feed_url = outline.get("xmlUrl")
        title = (outline.get("title") or outline.get("text") or "").strip()
        inner_folders = folders
        if feed_url is None:
            folder = title.lower()
            inner_folders = (*folders, folder) if folder else folders
        stack.extend((child, inner_folders, depth + 1) for child in reversed(_outlines(outline)))
        if feed_url is None:
            continue
        candidate = {
            "name": title or feed_url,
            "feed_url": feed_url.strip(),
            "site_url": (outline.get("htmlUrl") or "").strip() or None,
            "description": outline.get("description") or "",
            "tags": _tags(outline.get("category"), folders),
        }
        try:
            valid = BlogCreate.model_validate(candidate)
        except ValidationError as error:
            # Named, not echoed: a hostile title could be megabytes long.
            label = _shorten(title or feed_url)
            problems.append({"outline": label, "errors": validation_details(error)})
            continue
        blogs.append(
            NewBlog(
                name=valid.name,
                feed_url=str(valid.feed_url),
                site_url=str(valid.site_url) if valid.site_url else None,
                description=valid.description,
                tags=valid.tags,
            )
        )
    if problems:
        raise OpmlError(f"{len(problems)} outline(s) are not valid; nothing was imported", problems)
    return blogs


class _BoundedTreeBuilder(ET.TreeBuilder):
    """Stops the parse as soon as the file nests too deep or holds too many elements, so a hostile
    file never becomes a tree larger than a legitimate one."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.elements = 0

    def start(self, tag: str, attrs: dict[str, str], /) -> ET.Element:
        self.depth += 1
        self.elements += 1
        if self.depth > MAX_DEPTH + 2:  # <opml><body> and then the outlines
            raise OpmlError(f"outlines are nested deeper than {MAX_DEPTH} levels", {"reason": "too_deep"})
        if self.elements > MAX_ELEMENTS:
            raise OpmlError(f"the file has more than {MAX_ELEMENTS} elements", {"reason": "too_large"})
        return super().start(tag, attrs)

    def end(self, tag: str, /) -> ET.Element:
        self.depth -= 1
        return super().end(tag)


def _check_byte_order_mark(data: bytes) -> None:
    """A UTF-8 byte order mark beside a declaration of another encoding is a fatal error in XML, which
    expat lets pass: the declaration would win and every non-ASCII character be stored garbled."""
    if not data.startswith(codecs.BOM_UTF8):
        return
    declared = _DECLARED_ENCODING.match(data, len(codecs.BOM_UTF8))
    if declared is None:
        return
    name = declared.group(1).decode("ascii")
    try:
        same = codecs.lookup(name).name == "utf-8"
    except LookupError:
        same = False
    if not same:
        message = f"the file starts with a UTF-8 byte order mark but declares encoding {name}"
        raise OpmlError(message, {"reason": "malformed_xml"})


def _shorten(text: str, length: int = 300) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _outlines(element: ET.Element) -> list[ET.Element]:
    return [child for child in element if _local_name(child.tag) == "outline"]


def _local_name(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _tags(category: str | None, folders: tuple[str, ...]) -> list[str]:
    """OPML categories are comma-separated and may be slash paths (`/tech/python`)."""
    tags = list(folders)
    for part in (category or "").split(","):
        tags.extend(piece.strip().lower() for piece in part.split("/") if piece.strip())
    return sorted(set(tags))[:MAX_TAGS]


def xml_text(text: str) -> str:
    """`text` without the characters XML cannot hold, which ElementTree would write out regardless."""
    return _NOT_XML.sub("", text)


def render_opml(blogs: Iterable[Blog], *, title: str, now: dt.datetime | None = None) -> bytes:
    """The blogroll as OPML 2.0, readable by any feed reader."""
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = xml_text(title)
    ET.SubElement(head, "dateCreated").text = format_datetime(now or dt.datetime.now(dt.UTC))
    body = ET.SubElement(opml, "body")
    for blog in blogs:
        name = xml_text(blog.name)
        attributes = {"type": "rss", "text": name, "title": name, "xmlUrl": blog.feed_url}
        if site := web_url(blog.site_url):
            attributes["htmlUrl"] = site
        if blog.description:
            attributes["description"] = xml_text(blog.description)
        if blog.tags:
            attributes["category"] = ",".join(blog.tags)
        ET.SubElement(body, "outline", attributes)
    ET.indent(opml)
    document: bytes = ET.tostring(opml, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
