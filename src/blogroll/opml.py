"""OPML, the interchange format of blogrolls: parsed safely, written with a real XML library."""

from __future__ import annotations

import codecs
import datetime as dt
import html.entities
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from pydantic import ValidationError

from blogroll.formats import web_url
from blogroll.schemas import MAX_TAGS, BlogCreate
from blogroll.storage.blogs import NewBlog, OpmlBlog
from blogroll.storage.models import NAME_LENGTH, TAG_LENGTH, Blog
from blogroll.validation import describe_problem, validation_details

MAX_DEPTH = 32
MAX_OUTLINES = 10_000
# Elements of any kind: outlines, plus room for the head's few.
MAX_ELEMENTS = 2 * MAX_OUTLINES

# The encoding an XML declaration names, e.g. `<?xml version="1.0" encoding="ISO-8859-1"?>`.
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")

# Characters XML 1.0 cannot carry at all, not even escaped (control characters, lone surrogates).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class OpmlError(ValueError):
    """The file as a whole cannot be imported (not XML, not OPML, a DTD, too large); `details` is
    `{"reason": ...}`, with the line and column for XML that cannot be read."""

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Refused:
    """A feed outline that was not imported, and why, in words."""

    title: str
    xml_url: str
    reason: str


@dataclass(frozen=True)
class Note:
    """Something of an imported outline that was changed or left out, and why."""

    title: str
    note: str


@dataclass(frozen=True)
class ParsedOpml:
    blogs: list[NewBlog]
    refused: list[Refused] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def parse_opml(data: bytes) -> ParsedOpml:
    """Every feed outline in the file, each validated like an API request on its own: one bad outline
    is refused with its reason and never refuses the file. Folders become tags.

    DTDs are refused outright, so no entity expansion or external entity can happen; ill-formed XML
    that real exports contain is repaired first (see `_repair`).
    """
    body = _body(_parse_xml(data))
    parsed = ParsedOpml(blogs=[])
    for outline, folders in _feed_outlines(body):
        _read_outline(outline, folders, parsed)
    return parsed


def _parse_xml(data: bytes) -> ET.Element:
    _check_byte_order_mark(data)
    try:
        return _parse_strictly(data)
    except _Unreadable as first:
        repaired = _repair(data)
        if repaired is None:
            raise first.error from None
        for attempt in (repaired, _repair_attributes(repaired)):
            try:
                return _parse_strictly(attempt)
            except _Unreadable:
                continue
        raise first.error from None  # where the file itself went wrong, not a repair


class _Unreadable(Exception):
    def __init__(self, error: OpmlError) -> None:
        self.error = error


def _parse_strictly(data: bytes) -> ET.Element:
    parser = DefusedXMLParser(
        target=_BoundedTreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(data)
        root: ET.Element = parser.close()
    except OpmlError:  # the tree builder's limits
        raise
    except DefusedXmlException:
        raise _dtd_forbidden() from None
    except ET.ParseError as error:
        line, column = error.position
        where = {"reason": "malformed_xml", "line": line, "column": column}
        raise _Unreadable(OpmlError("the file is not well-formed XML", where)) from None
    except (LookupError, ValueError):  # an encoding Python's XML parser does not know or cannot use
        raise _Unreadable(OpmlError("the file is not well-formed XML", {"reason": "malformed_xml"})) from None
    return root


def _dtd_forbidden() -> OpmlError:
    message = "the file declares a DTD; Blogroll refuses DTDs, so entities cannot be expanded"
    return OpmlError(message, {"reason": "dtd_forbidden"})


def _body(root: ET.Element) -> ET.Element:
    if _local_name(root.tag) != "opml":
        raise OpmlError("not an OPML file: the root element must be <opml>", {"reason": "not_opml"})
    body = next((child for child in root if _local_name(child.tag) == "body"), None)
    if body is None:
        raise OpmlError("not an OPML file: there is no <body>", {"reason": "not_opml"})
    return body


def _feed_outlines(body: ET.Element) -> Iterator[tuple[ET.Element, tuple[str, ...]]]:
    """The outlines with a feed, in the file's order, each with the folders it sits in.

    An iterative pre-order walk with an explicit depth bound: hostile nesting cannot exhaust the stack.
    """
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
        inner = folders
        if outline.get("xmlUrl") is None:
            folder = _title(outline)
            inner = (*folders, folder) if folder else folders
        stack.extend((child, inner, depth + 1) for child in reversed(_outlines(outline)))
        if outline.get("xmlUrl") is not None:
            yield outline, folders


def _title(outline: ET.Element) -> str:
    return (outline.get("title") or outline.get("text") or "").strip()


# Optional attributes: an invalid one is left out (with a note), never a reason to refuse the outline.
OPTIONAL = {"site_url": "htmlUrl", "description": "description"}


def _read_outline(outline: ET.Element, folders: tuple[str, ...], parsed: ParsedOpml) -> None:
    feed_url = (outline.get("xmlUrl") or "").strip()
    # Named, not echoed whole: a hostile title could be megabytes long.
    whole_title = _title(outline)
    title = _shorten(_printable(whole_title[:1000]) or feed_url)
    candidate: dict[str, Any] = {
        "name": title[:NAME_LENGTH].strip() or feed_url,
        "feed_url": feed_url,
        "site_url": (outline.get("htmlUrl") or "").strip() or None,
        "description": _printable(outline.get("description") or ""),
        "tags": normalize_tags([*folders, *_categories(outline.get("category"))]),
    }
    if len(whole_title) > NAME_LENGTH:
        parsed.notes.append(Note(title=title, note=f"the title was cut to {NAME_LENGTH} characters"))
    for _attempt in range(2):
        try:
            valid = BlogCreate.model_validate(candidate)
        except ValidationError as error:
            problems = validation_details(error)
            optional = [problem for problem in problems if problem["field"] in OPTIONAL]
            if len(optional) < len(problems) or not optional:
                reasons = "; ".join(describe_problem(problem) for problem in problems)
                parsed.refused.append(Refused(title=title, xml_url=_shorten(feed_url), reason=reasons))
                return
            for problem in optional:
                candidate[problem["field"]] = None if problem["field"] == "site_url" else ""
                note = f"{OPTIONAL[problem['field']]} left out: {describe_problem(problem)}"
                parsed.notes.append(Note(title=title, note=note))
            continue
        parsed.blogs.append(
            NewBlog(
                name=valid.name,
                feed_url=str(valid.feed_url),
                site_url=str(valid.site_url) if valid.site_url else None,
                description=valid.description,
                tags=valid.tags,
            )
        )
        return


def _categories(category: str | None) -> list[str]:
    """OPML categories are comma-separated and may be slash paths (`/tech/python`)."""
    return [piece for part in (category or "").split(",") for piece in part.split("/")]


# What a tag may hold after its first character (schemas.Tag); everything else becomes `-`.
_NOT_IN_TAG = re.compile(r"[^0-9a-z_\u00c0-\ufdcf\ufdf0-\ufffd .+-]+|\s*[\s\x85\ufeff]\s*")
# A tag starts with a letter or digit; it may end with anything it holds (`c++`), but the `-` that
# stood for a refused character at either end goes.
_TAG_START_JUNK = " .+-"
_TAG_END_JUNK = " -"


def normalize_tags(names: Iterable[str]) -> list[str]:
    """Folder and category names as tags: lower case, characters a tag cannot hold become `-`, cut to
    the tag length; names with nothing left are dropped. `News & Design` is `news-design`."""
    tags: set[str] = set()
    for name in names:
        tag = _NOT_IN_TAG.sub(lambda match: " " if match.group().isspace() else "-", name.lower())
        tag = re.sub(r" ?-+ ?", "-", re.sub(r" +", " ", tag)).lstrip(_TAG_START_JUNK)
        tag = tag[:TAG_LENGTH].rstrip(_TAG_END_JUNK)
        if tag:
            tags.add(tag)
    return sorted(tags)[:MAX_TAGS]


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    """Text without control characters, which titles in real files do contain (and XML refuses)."""
    return _CONTROL.sub("", text)


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


# Repairs, for ill-formed XML that real exports contain (each seen in public OPML files).
# Encodings expat lacks that declared files use; others (UTF-7, EBCDIC) stay refused.
_DECODABLE = {"shift_jis", "cp932", "euc_jp", "iso2022_jp", "gb2312", "gbk", "gb18030", "big5", "euc_kr"}
# `&` that starts no character or entity reference: a bare ampersand, as in `Business & Economy`.
_BARE_AMPERSAND = re.compile(r"&(?!#[0-9]+;|#x[0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)")
_NAMED_REFERENCE = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_NAMES = {"amp", "lt", "gt", "quot", "apos"}
_DECLARATION = re.compile(r"<\?xml\s[^>]*\?>")
_DTD = re.compile(r"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _repair(data: bytes) -> bytes | None:
    """The file as UTF-8 XML that expat can read, or None when no honest repair exists.

    Repaired: bare `&` (escaped), HTML's named entities such as `&nbsp;` (as the characters), an XML
    declaration after a stylesheet line (dropped: it may only come first), no declaration on bytes
    that are not UTF-8 (read as Windows-1252, what such exports are), and declared encodings expat
    cannot read (decoded by Python). Never repaired: a declaration that lies about the bytes, a DTD.
    """
    text = _decode(data)
    if text is None:
        return None
    if _DTD.search(text):
        raise _dtd_forbidden()
    text = _DECLARATION.sub("", text)
    text = _BARE_AMPERSAND.sub("&amp;", text)
    text = _NAMED_REFERENCE.sub(_known_reference, text)
    return text.encode("utf-8")


def _decode(data: bytes) -> str | None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return None  # expat reads UTF-16 itself; a failure there is not a repairable one
    data = data.removeprefix(codecs.BOM_UTF8)
    declared = _DECLARED_ENCODING.match(data)
    if declared is not None:
        try:
            name = codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:
            return None
        if name not in _DECODABLE | {"utf-8", "ascii", "latin-1", "iso8859-1", "cp1252"}:
            return None
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            return None  # the declaration lies about the bytes
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


# An outline's start tag that markup inside an attribute breaks, e.g. a description holding
# `<em class="x">`: the tag ends where the next outline (or the body's end) begins.
_OUTLINE_TAG = re.compile(
    rb"<outline\s(?P<attributes>.*?)(?P<empty>/?)>(?=\s*</?(?:outline|body)\b)", re.DOTALL
)
# A value ends at the quote that a next attribute, or the tag's end, follows.
_ATTRIBUTE = re.compile(
    rb"""(?P<name>[A-Za-z_:][\w:.-]*)\s*=\s*(?P<quote>["'])(?P<value>.*?)(?P=quote)(?=\s+[A-Za-z_:][\w:.-]*\s*=|\s*$)""",
    re.DOTALL,
)


def _repair_attributes(data: bytes) -> bytes:
    """Outlines whose attribute values hold raw `<` or quotes, rewritten with those escaped."""

    def rewrite(tag: re.Match[bytes]) -> bytes:
        attributes = tag.group("attributes")
        pairs = list(_ATTRIBUTE.finditer(attributes))
        if not pairs or _ATTRIBUTE.sub(b"", attributes).strip():
            return tag.group()  # not only attributes: leave it to the parser to refuse
        written = b" ".join(
            pair.group("name") + b'="' + _escape_value(pair.group("value")) + b'"' for pair in pairs
        )
        return b"<outline " + written + tag.group("empty") + b">"

    return _OUTLINE_TAG.sub(rewrite, data)


def _escape_value(value: bytes) -> bytes:
    return value.replace(b"<", b"&lt;").replace(b">", b"&gt;").replace(b'"', b"&quot;")


def _known_reference(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in _XML_NAMES:
        return match.group()
    character = html.entities.html5.get(name + ";")
    return xml_escape(character) if character else "&amp;" + name + ";"


def _shorten(text: str, length: int = 300) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _outlines(element: ET.Element) -> list[ET.Element]:
    return [child for child in element if _local_name(child.tag) == "outline"]


def _local_name(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def xml_text(text: str) -> str:
    """`text` without the characters XML cannot hold, which ElementTree would write out regardless."""
    return _NOT_XML.sub("", text)


def render_opml(blogs: Iterable[Blog | OpmlBlog], *, title: str, now: dt.datetime | None = None) -> bytes:
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
