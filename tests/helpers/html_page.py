"""An HTML page read as a tree, the way a reader scans it: mis-nested or unclosed tags fail the test."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser

from flask import Flask

from blogroll.config import Settings

VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _TreeBuilder(HTMLParser):
    """Builds an ElementTree from HTML, failing on mis-nested tags so broken templates show."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = ET.Element("document")
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = ET.SubElement(self.open[-1], tag, {name: value or "" for name, value in attrs})
        if tag not in VOID_ELEMENTS:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_ELEMENTS:
            return
        assert self.open[-1].tag == tag, f"</{tag}> closes <{self.open[-1].tag}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        parent = self.open[-1]
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + data
        else:
            parent.text = (parent.text or "") + data


class Page:
    """A parsed HTML page; paths are ElementTree's XPath subset, e.g. `.//aside//li/a[1]`."""

    def __init__(self, html: str, path: str = "") -> None:
        builder = _TreeBuilder()
        builder.feed(html)
        builder.close()
        assert builder.open == [builder.root], "unclosed tags: " + ", ".join(e.tag for e in builder.open[1:])
        self.html = html
        self.path = path
        self.root = builder.root

    def find(self, path: str) -> ET.Element:
        element = self.root.find(path)
        assert element is not None, f"nothing at {path}"
        return element

    def findall(self, path: str) -> list[ET.Element]:
        return self.root.findall(path)

    def text(self, path: str) -> str:
        return text_of(self.find(path))

    def texts(self, path: str) -> list[str]:
        return [text_of(element) for element in self.findall(path)]

    def links(self, path: str) -> list[tuple[str, str]]:
        """(text, href) of each link at `path`."""
        return [(text_of(a), a.get("href", "")) for a in self.findall(path)]


def text_of(element: ET.Element) -> str:
    """The element's text as a reader sees it: whitespace collapsed."""
    return " ".join("".join(element.itertext()).split())


def small_pages(app: Flask, size: int) -> None:
    """Pages of `size` entries, so paging shows with a handful of entries."""
    settings: Settings = app.config["BLOGROLL_SETTINGS"]
    app.config["BLOGROLL_SETTINGS"] = settings.model_copy(update={"page_size": size})


def follow_older_links(get_page: Callable[..., Page], path: str) -> list[Page]:
    """Every page from `path` on, following "Older posts" until there is none."""
    pages = [get_page(path)]
    while older := pages[-1].findall(".//a[@rel='next']"):
        assert len(pages) < 20, "the older-posts links go round in circles"
        pages.append(get_page(older[0].get("href")))
    return pages
