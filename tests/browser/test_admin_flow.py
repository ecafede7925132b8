"""A keeper's main round at the admin pages in a real browser, at desktop and at phone width: import
a real community OPML file and read its report, import another from an address, pause and resume a
blog, make a token and revoke it, sign out. On every page: nothing wider than the screen, and on a
phone every button a finger's size.

Screenshots of each page are saved in the test's tmp folder, for people to look at.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.admin.opml_files import real_file
from tests.discovery.feeds import RSS_TYPE, rss
from tests.discovery.feeds import page as page_with
from tests.helpers.feed_server import FeedServer, Reply

from .chromium import DESKTOP, PHONE

pytestmark = pytest.mark.browser

COMMUNITY = "frankmeeuwsen-blogroll.opml"  # a real blogroll of 48 feeds (tests/fixtures/opml)
KNOWN = "http://feeds2.feedburner.com/AustinKleon"  # one of them
# A second file, served by the fixture server: one feed of the first, one new (on the fixture
# server too), one refused, one noted.
SECOND = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>More</title></head><body>
  <outline type="rss" text="Austin again" xmlUrl="{known}"/>
  <outline type="rss" text="Fresh Notes" xmlUrl="{fresh}" htmlUrl="mailto:me@fresh.example.org"/>
  <outline type="rss" text="Old Gopher" xmlUrl="gopher://old.example.org/feed"/>
</body></opml>
"""
LINK = '<link rel="alternate" type="application/rss+xml" href="/fresh.xml" title="Posts">'
# The smallest touch target the phone layout allows, in CSS pixels (WCAG 2.5.5 asks for 44).
TOUCH = 44


def _section(page: Any, name: str) -> list[str]:
    return [
        " ".join(text.split())
        for text in page.locator(f"section[aria-labelledby={name}] li").all_inner_texts()
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_keeper_imports_opml_pauses_makes_a_token_and_signs_out(
    live_server: str,
    sign_in: Callable[..., Any],
    feed_server: FeedServer,
    viewport: dict[str, int],
    tmp_path: Path,
) -> None:
    width = viewport["width"]
    fresh = feed_server.route(
        "/fresh.xml", Reply(body=rss("Fresh Notes", [("Hello", None)]), headers={"Content-Type": RSS_TYPE})
    )
    site = feed_server.route("/", Reply(body=page_with(f"<title>Fresh</title>{LINK}")))
    opml = SECOND.format(known=KNOWN, fresh=fresh).encode()
    second = feed_server.route("/more.opml", Reply(body=opml, headers={"Content-Type": "text/x-opml"}))
    missing = feed_server.url("/missing.opml")
    seen: list[str] = []

    def check(page: Any, name: str) -> None:
        """Nothing sideways: the page is no wider than the screen; on a phone, buttons fit a finger."""
        seen.append(name)
        page.screenshot(path=str(tmp_path / f"{name}-{width}.png"), full_page=True)
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{name} is {widths[0]}px wide on a {widths[1]}px screen"
        if viewport is PHONE:
            for button in page.locator("main button:visible").all():
                box = button.bounding_box()
                assert box["height"] >= TOUCH, f"{name}: {button.inner_text()!r} is {box['height']}px high"

    page = sign_in(viewport, allow={live_server + "/admin/import/url": 422})
    check(page, "blogs-empty")
    nav = page.get_by_role("navigation", name="Admin")

    # A real community blogroll, uploaded.
    nav.get_by_role("link", name="Import OPML").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Import OPML"
    check(page, "import")
    page.get_by_label("OPML file", exact=True).set_input_files(
        files=[{"name": COMMUNITY, "mimeType": "text/x-opml", "buffer": real_file(COMMUNITY)}]
    )
    page.get_by_role("button", name="Import the file").click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Imported {COMMUNITY}"
    assert page.locator("#summary").inner_text() == "Added 48, already in the blogroll 0, refused 0."
    added = _section(page, "added")
    assert len(added) == 48
    assert added[0] == f"Austin Kleon recommendations {KNOWN}"
    check(page, "import-report")

    # An address that answers 404: the reason beside the field, the address kept to correct.
    page.get_by_role("link", name="Import another file").click()
    page.get_by_label("Address of an OPML file").fill(missing)
    page.get_by_role("button", name="Import from the address").click()
    assert page.locator("#url-errors").inner_text() == "The server answered HTTP 404 Not Found."
    assert page.get_by_label("Address of an OPML file").input_value() == missing
    check(page, "import-error")

    # A second file from its address: each outline's fate, the known one linked to its blog.
    page.get_by_label("Address of an OPML file").fill(second)
    page.get_by_role("button", name="Import from the address").click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Imported {second}"
    assert page.locator("#summary").inner_text() == "Added 1, already in the blogroll 1, refused 1."
    assert _section(page, "added") == [f"Fresh Notes {fresh}"]
    assert _section(page, "skipped") == [f"Austin again: already there as Austin Kleon {KNOWN}"]
    assert _section(page, "refused") == [
        "Old Gopher: the feed address (xmlUrl) must be a web address starting with http:// or https:// "
        "gopher://old.example.org/feed"
    ]
    assert _section(page, "notes") == [
        "Fresh Notes: htmlUrl left out: the site address (htmlUrl) must be a web address starting with "
        "http:// or https://"
    ]
    check(page, "import-report-2")
    page.locator("section[aria-labelledby=skipped]").get_by_role("link", name="Austin Kleon").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Edit Austin Kleon"
    check(page, "blog-edit")

    # The export has every blog imported.
    export = nav.get_by_role("link", name="Export OPML").get_attribute("href")
    exported = page.request.get(live_server + export).text()
    assert exported.count("<outline ") == 49
    assert 'text="Fresh Notes"' in exported

    # Adding it again by its site's address: the preview says it is there, and offers no Save.
    nav.get_by_role("link", name="Add a blog").click()
    page.get_by_label("Site address").fill(site)
    page.get_by_role("button", name="Find feed").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Add Fresh Notes?"
    warning = page.get_by_role("alert")
    assert warning.inner_text().split("\n")[0] == "This feed is already in the blogroll, as Fresh Notes."
    assert page.get_by_role("button", name="Save").count() == 0
    check(page, "preview-duplicate")
    warning.get_by_role("link", name="Fresh Notes").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Edit Fresh Notes"

    # Pause and resume one of them.
    nav.get_by_role("link", name="Blogs").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Blogs (49)"
    check(page, "blogs")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Austin Kleon"))
    row.get_by_role("button", name="Pause").click()
    assert page.get_by_role("status").inner_text().strip() == "Paused Austin Kleon."
    row.get_by_role("button", name="Resume").click()
    assert page.get_by_role("status").inner_text().strip() == "Resumed Austin Kleon."
    assert row.get_by_role("button", name="Pause").is_visible()
    check(page, "blogs-resumed")

    # A token, shown once, then revoked.
    nav.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name", exact=True).fill("phone" if viewport is PHONE else "laptop")
    page.get_by_role("button", name="Create").click()
    token = page.get_by_role("status").locator("code.token").inner_text()
    assert token.startswith("blr_")
    check(page, "token-created")
    page.goto(live_server + "/admin/tokens")  # shown once: not on the next visit
    assert token not in page.content()
    page.get_by_role("button", name="Revoke").click()
    assert page.get_by_role("status").inner_text().strip().startswith("Revoked token ")
    assert page.locator("p.empty").inner_text() == "No tokens yet."
    check(page, "tokens")

    nav.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server + "/admin/login")
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in"
    check(page, "signed-out")
    assert len(seen) == 12
