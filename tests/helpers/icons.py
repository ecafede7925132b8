"""Sample icons for the icon tests, things served as icons that are none, and pages linking them."""

from __future__ import annotations

import struct
import zlib

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><script>alert(1)</script></svg>'
HTML_PAGE = b"<!doctype html><html><head><title>Welcome</title></head><body><p>Hello</p></body></html>"
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
JPEG_START = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
WEBP_START = (
    b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
)
CURSOR_START = b"\x00\x00\x02\x00\x01\x00"


def png(size: int = 32, shade: int = 0) -> bytes:
    """A valid grey PNG of `size` pixels square; `shade` tells two icons apart."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([shade]) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def ico(image: bytes, size: int = 32) -> bytes:
    """An ICO file holding one PNG image, as modern favicon.ico files do."""
    directory = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(image), 6 + 16)
    return directory + entry + image


def page(*links: str, base: str | None = None) -> bytes:
    """A small home page whose head holds `links` (whole `<link>` tags), and a `<base>` if given."""
    head = "".join(f"\n    {link}" for link in links)
    base_tag = f'\n    <base href="{base}">' if base else ""
    return (
        f'<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>A blog</title>'
        f"{base_tag}{head}\n  </head>\n  <body><h1>A blog</h1></body>\n</html>\n"
    ).encode()
