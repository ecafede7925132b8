"""A feed's bytes to text, deciding the encoding as RFC 7303 says and as real servers need.

feedparser follows RFC 3023, under which `text/xml` without a charset is US-ASCII whatever the
document says: a UTF-16 feed with a byte-order mark served that way came out as nothing at all. The
order here is RFC 7303's (which replaced RFC 3023), with fallbacks for what servers really send:

1. a byte-order mark (UTF-8, UTF-16 or UTF-32) wins over everything;
2. without one, NUL bytes around the first character mean UTF-16 or UTF-32 (XML 1.0 appendix F);
3. the charset of Content-Type, when the body decodes with it;
4. the XML declaration's `encoding`, when the body decodes with it (a UTF-16 or UTF-32 declared
   without any of the signs above is a mislabelled ASCII-based document, and is not believed);
5. UTF-8, when the body is valid UTF-8;
6. otherwise a guess by charset-normalizer: windows-1252 when it reads the text about as well as
   the best guess (it is what undeclared Western feeds use; the guesser alone often says a Baltic
   or Central European code page for French or German), else the best guess.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

# Longer marks first: UTF-32-LE's mark starts with UTF-16-LE's.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_WIDE = ("utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be")
# How much worse than the best guess windows-1252 may read (charset-normalizer's "chaos", 0 to 1).
_WESTERN_MARGIN = 0.05


@dataclass(frozen=True)
class Decoded:
    text: str
    # The codec used and why it was chosen ("byte-order mark", "Content-Type", "guessed", ...).
    encoding: str
    source: str


def decode_body(body: bytes, content_type: str | None) -> Decoded:
    """The body as text, without a byte-order mark; never raises (undecodable bytes become U+FFFD)."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if body.startswith(mark):
            return Decoded(body[len(mark) :].decode(encoding, "replace"), encoding, "byte-order mark")
    wide = _wide_encoding(body[:4])
    if wide is not None:
        return Decoded(body.decode(wide, "replace"), wide, "NUL bytes")
    charset = _CHARSET.search(content_type or "")
    declared = _DECLARED.match(body[:1024])
    candidates = [
        (charset.group(1) if charset else None, "Content-Type"),
        (declared.group(1).decode() if declared else None, "XML declaration"),
        ("utf-8", "valid UTF-8"),
    ]
    for name, source in candidates:
        decoded = _strictly(body, name, source)
        if decoded is not None:
            return decoded
    guess = _guess(body)
    if guess is None:
        return Decoded(body.decode("utf-8", "replace"), "utf-8", "nothing better")
    return Decoded(body.decode(guess, "replace"), guess, "guessed")


def _wide_encoding(start: bytes) -> str | None:
    """UTF-16 or UTF-32 without a mark, from the NUL bytes around an ASCII first character."""
    if len(start) < 4:
        return None
    if start[:3] == b"\0\0\0" and start[3]:
        return "utf-32-be"
    if start[0] and start[1:4] == b"\0\0\0":
        return "utf-32-le"
    if start[0] == 0 and start[1] and start[2] == 0:
        return "utf-16-be"
    if start[0] and start[1] == 0 and start[2] and start[3] == 0:
        return "utf-16-le"
    return None


def _strictly(body: bytes, name: str | None, source: str) -> Decoded | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name).name.replace("-", "_")
        if codec in _WIDE:
            return None  # no byte-order mark and no NUL bytes: not really UTF-16 or UTF-32
        return Decoded(body.decode(codec), codec, source)
    except (LookupError, UnicodeDecodeError):
        return None


def _guess(body: bytes) -> str | None:
    results = charset_normalizer.from_bytes(body)
    best = results.best()
    if best is None:
        return None
    for match in results:
        if "cp1252" in match.could_be_from_charset and match.chaos <= best.chaos + _WESTERN_MARGIN:
            return "cp1252"
    return str(best.encoding)
