"""A keeper's main round at the admin pages in a real browser, at desktop and at phone width: import
a real community OPML file and read its report, import another from an address, pause and resume a
blog, make a token and revoke it, sign out. On every page: nothing wider than the screen, on a
phone every button a finger's size, and `<html lang>` the language under test.

The round runs in English at both widths and in Spanish at phone width (the browser's locale en-US
or es-ES, so Accept-Language chooses); every text it clicks or reads is from tests/browser/words.py.
Spanish runs at the phone's width only: its longer words are what could overflow a narrow screen,
and a round takes ~30 s of a CPU shared with CI, so Spanish at desktop width would add time for
little. What discovery and validation write (an outline's refusal reason, a note) is shared with the
API and is English in both languages (docs/languages.md).

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
from .words import ENGLISH, SPANISH_WORDS, Words

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
SUMMARY = "Added %(added)s, already in the blogroll %(skipped)s, refused %(refused)s."
# The smallest touch target the phone layout allows, in CSS pixels (WCAG 2.5.5 asks for 44).
TOUCH = 44


# (width, language): English at both widths, Spanish at the phone's (the module's docstring says why).
ROUNDS = [
    pytest.param(DESKTOP, ENGLISH, id="desktop-en"),
    pytest.param(PHONE, ENGLISH, id="phone-en"),
    pytest.param(PHONE, SPANISH_WORDS, id="phone-es"),
]


def _section(page: Any, name: str) -> list[str]:
    return [
        " ".join(text.split())
        for text in page.locator(f"section[aria-labelledby={name}] li").all_inner_texts()
    ]


@pytest.mark.parametrize(("viewport", "words"), ROUNDS)
def test_a_keeper_imports_opml_pauses_makes_a_token_and_signs_out(
    live_server: str,
    sign_in: Callable[..., Any],
    feed_server: FeedServer,
    viewport: dict[str, int],
    words: Words,
    tmp_path: Path,
) -> None:
    width = viewport["width"]
    _ = words  # as gettext is called in the app: _("Import OPML") is the page's text in this language
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
        words.check_lang(page)
        page.screenshot(path=str(tmp_path / f"{name}-{width}-{words.lang}.png"), full_page=True)
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{name} is {widths[0]}px wide on a {widths[1]}px screen"
        if viewport is PHONE:
            for button in page.locator("main button:visible").all():
                box = button.bounding_box()
                assert box["height"] >= TOUCH, f"{name}: {button.inner_text()!r} is {box['height']}px high"

    page = sign_in(viewport, allow={live_server + "/admin/import/url": 422})
    check(page, "blogs-empty")
    nav = page.get_by_role("navigation", name=_("Admin"))

    # A real community blogroll, uploaded.
    nav.get_by_role("link", name=_("Import OPML")).click()
    assert page.get_by_role("heading", level=1).inner_text() == _("Import OPML")
    check(page, "import")
    page.get_by_label(_("OPML file"), exact=True).set_input_files(
        files=[{"name": COMMUNITY, "mimeType": "text/x-opml", "buffer": real_file(COMMUNITY)}]
    )
    page.get_by_role("button", name=_("Import the file")).click()
    assert page.get_by_role("heading", level=1).inner_text() == _("Imported %(source)s", source=COMMUNITY)
    assert page.locator("#summary").inner_text() == _(SUMMARY, added=48, skipped=0, refused=0)
    added = _section(page, "added")
    assert len(added) == 48
    assert added[0] == f"Austin Kleon recommendations {KNOWN}"
    check(page, "import-report")

    # An address that answers 404: the reason beside the field, the address kept to correct.
    page.get_by_role("link", name=_("Import another file")).click()
    page.get_by_label(_("Address of an OPML file")).fill(missing)
    page.get_by_role("button", name=_("Import from the address")).click()
    assert page.locator("#url-errors").inner_text() == _(
        "The server answered %(answer)s.", answer="HTTP 404 Not Found"
    )
    assert page.get_by_label(_("Address of an OPML file")).input_value() == missing
    check(page, "import-error")

    # A second file from its address: each outline's fate, the known one linked to its blog.
    page.get_by_label(_("Address of an OPML file")).fill(second)
    page.get_by_role("button", name=_("Import from the address")).click()
    assert page.get_by_role("heading", level=1).inner_text() == _("Imported %(source)s", source=second)
    assert page.locator("#summary").inner_text() == _(SUMMARY, added=1, skipped=1, refused=1)
    assert _section(page, "added") == [f"Fresh Notes {fresh}"]
    assert _section(page, "skipped") == [f"Austin again: {_('already there as')} Austin Kleon {KNOWN}"]
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
    assert page.get_by_role("heading", level=1).inner_text() == _("Edit %(name)s", name="Austin Kleon")
    check(page, "blog-edit")

    # The export has every blog imported.
    export = nav.get_by_role("link", name=_("Export OPML")).get_attribute("href")
    exported = page.request.get(live_server + export).text()
    assert exported.count("<outline ") == 49
    assert 'text="Fresh Notes"' in exported

    # Adding it again by its site's address: the preview says it is there, and offers no Save.
    nav.get_by_role("link", name=_("Add a blog")).click()
    page.get_by_label(_("Site address")).fill(site)
    page.get_by_role("button", name=_("Find feed")).click()
    assert page.get_by_role("heading", level=1).inner_text() == _("Add %(name)s?", name="Fresh Notes")
    warning = page.get_by_role("alert")
    already = _("This feed is already in the blogroll, as")
    assert warning.inner_text().split("\n")[0] == f"{already} Fresh Notes."
    assert page.get_by_role("button", name=_("Save")).count() == 0
    check(page, "preview-duplicate")
    warning.get_by_role("link", name="Fresh Notes").click()
    assert page.get_by_role("heading", level=1).inner_text() == _("Edit %(name)s", name="Fresh Notes")

    # Pause and resume one of them.
    nav.get_by_role("link", name=_("Blogs"), exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == f"{_('Blogs')} (49)"
    check(page, "blogs")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Austin Kleon"))
    row.get_by_role("button", name=_("Pause")).click()
    assert page.get_by_role("status").inner_text().strip() == _("Paused %(name)s.", name="Austin Kleon")
    row.get_by_role("button", name=_("Resume")).click()
    assert page.get_by_role("status").inner_text().strip() == _("Resumed %(name)s.", name="Austin Kleon")
    assert row.get_by_role("button", name=_("Pause")).is_visible()
    check(page, "blogs-resumed")

    # A token, shown once, then revoked.
    nav.get_by_role("link", name=_("API tokens")).click()
    token_name = "phone" if viewport is PHONE else "laptop"
    page.get_by_label(_("Name"), exact=True).fill(token_name)
    page.get_by_role("button", name=_("Create")).click()
    token = page.get_by_role("status").locator("code.token").inner_text()
    assert token.startswith("blr_")
    check(page, "token-created")
    page.goto(live_server + "/admin/tokens")  # shown once: not on the next visit
    assert token not in page.content()
    page.get_by_role("button", name=_("Revoke %(name)s", name=token_name)).click()
    assert page.get_by_role("status").inner_text().strip() == _("Revoked token %(name)s.", name=token_name)
    assert page.locator("p.empty").inner_text() == _("No tokens yet.")
    check(page, "tokens")

    nav.get_by_role("button", name=_("Sign out")).click()
    page.wait_for_url(live_server + "/admin/login")
    assert page.get_by_role("heading", level=1).inner_text() == _("Sign in")
    check(page, "signed-out")
    assert len(seen) == 12
