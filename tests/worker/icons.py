"""The real pages of the icon tests (pages/README.md), served with their site's origin rewritten."""

from __future__ import annotations

from pathlib import Path

PAGES = Path(__file__).parent / "pages"
DISCOVERY_PAGES = Path(__file__).parents[1] / "discovery" / "pages"


def saved_page(path: Path, origins: tuple[str, ...], to: str) -> bytes:
    """A saved real page with each of its site's `origins` (`https://example.com`) rewritten to `to`."""
    body = path.read_bytes()
    for origin in origins:
        body = body.replace(origin.encode(), to.encode())
    return body
