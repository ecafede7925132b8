"""A reader suggests blogs on /submit and a keeper decides, in a real browser (headless Chromium driven
by Playwright, by the labels and roles a person reads), on the app in a real HTTP server.

The visitor, not signed in, suggests two blogs whose sites are on the fixture feed server and is
thanked; neither appears anywhere public. The keeper signs in, reads the waiting count in the admin
header, opens the queue, reads what discovery found, approves one with a tag in one click and
rejects the other with a reason. The approved blog is then on the home page and on its tag's page,
and once the worker's pass fetched its feed, so are its posts; the rejected one is nowhere.

In English and in Spanish (the browser's locale en-US or es-ES, so Accept-Language chooses), every
text clicked or read from tests/browser/words.py, `<html lang>` checked on each page. What
discovery writes (why it chose the feed) is shared with the API and stays English (docs/languages.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from blogroll.config import Settings
from blogroll.storage.db import Database, make_engine
from blogroll.worker.runner import Runner
from tests.discovery.feeds import page as page_with
from tests.helpers.feed_server import FeedServer, Reply
from tests.submissions.sites import LINK, feed_reply

from .words import LANGUAGE_IDS, LANGUAGES, Words

pytestmark = pytest.mark.browser

ANN = "Ann's notes"
BOB = "Bob's notes"
BOB_LINK = '<link rel="alternate" type="application/rss+xml" href="/bob/feed.xml" title="Posts">'
NOTE = "Ann writes <well> about gardens"
CONTACT = "ann@example.net"
TAG = "friends"
REASON = "Only posts adverts"
POSTS = ["Newest post", "Older post"]  # tests/submissions/sites.py's feed, newest first


def _notice(page: Any) -> str:
    return str(page.get_by_role("status").inner_text()).strip()


def _blogroll(page: Any) -> list[str]:
    return list(page.locator("aside.blogroll li > a:first-child").all_inner_texts())


def _suggest(page: Any, words: Words, site: str, **fields: str) -> None:
    """Fills the form as a visitor does and sends it; lands on the thanks page."""
    _ = words
    page.get_by_label(_("Site address")).fill(site)
    if "note" in fields:
        page.get_by_label(_("Note for the keepers")).fill(fields["note"])
    if "contact" in fields:
        page.get_by_label(_("How to reach you")).fill(fields["contact"])
    page.get_by_role("button", name=_("Suggest this blog")).click()
    page.wait_for_url("**/submit/thanks")
    words.check_lang(page)
    assert page.get_by_role("heading", level=1).inner_text() == _("Thank you")
    assert page.locator("#received").inner_text() == _(
        "Your suggestion waits for a keeper. Once approved, the blog appears in the blogroll."
    )


def _submission(page: Any, name: str) -> Any:
    return page.locator("article.submission").filter(has=page.get_by_role("heading", level=2, name=name))


def _preview(article: Any) -> dict[str, str]:
    """The queue's description of one submission: each term with its text."""
    terms = article.locator("dl.preview dt").all_inner_texts()
    values = article.locator("dl.preview dd").all_inner_texts()
    return {term.strip(): value.strip() for term, value in zip(terms, values, strict=True)}


def _public_has_no_blogs(live_server: str, home: Any) -> None:
    home.reload()
    assert _blogroll(home) == []
    assert home.locator(".latest .entry").count() == 0
    assert home.request.get(live_server + "/api/v1/blogs").json()["items"] == []
    opml = home.request.get(live_server + "/blogroll.opml").text()
    assert "<outline " not in opml
    assert "notes" not in home.request.get(live_server + "/feed.atom").text()


@pytest.mark.parametrize("words", LANGUAGES, ids=LANGUAGE_IDS)
def test_a_visitor_suggests_blogs_and_a_keeper_approves_one_and_rejects_the_other(
    live_server: str,
    open_page: Callable[..., Any],
    sign_in: Callable[..., Any],
    feed_server: FeedServer,
    sqlite_settings: Settings,
    words: Words,
) -> None:
    _ = words
    feed_server.route("/feed.xml", feed_reply(ANN))
    ann = feed_server.route("/", Reply(body=page_with(f"<title>Ann</title>{LINK}")))
    feed_server.route("/bob/feed.xml", feed_reply(BOB))
    bob = feed_server.route("/bob/", Reply(body=page_with(f"<title>Bob</title>{BOB_LINK}")))

    # A visitor, not signed in, follows the link every page has, and suggests two blogs.
    home = open_page(live_server + "/", locale=words.locale)
    words.check_lang(home)
    home.get_by_role("link", name=_("Suggest a blog")).click()
    home.wait_for_url(live_server + "/submit")
    words.check_lang(home)
    assert home.get_by_role("heading", level=1).inner_text() == _("Suggest a blog")
    _suggest(home, words, ann, note=NOTE, contact=CONTACT)
    home.get_by_role("link", name=_("Suggest another blog")).click()
    _suggest(home, words, bob)

    # Waiting, they are nowhere public: pages, feeds, OPML, the API.
    _public_has_no_blogs(live_server, home)
    home.goto(live_server + "/tags/")
    assert home.locator("ul.tag-list li").count() == 0

    # The keeper reads the count in the header and opens the queue.
    admin = sign_in()
    nav = admin.get_by_role("navigation", name=_("Admin"))
    nav.get_by_role("link", name=_("Submissions (%(count)s)", count=2)).click()
    admin.wait_for_url(live_server + "/admin/submissions")
    words.check_lang(admin)
    assert admin.get_by_role("heading", level=1).inner_text() == _("Submissions")
    assert admin.locator("article.submission h2").all_inner_texts() == [ANN, BOB]

    # What discovery found, shown before deciding (the note escaped, as typed).
    first = _submission(admin, ANN)
    preview = _preview(first)
    assert preview[_("Site")] == ann
    assert preview[_("Feed found")] == feed_server.url("/feed.xml")
    assert preview[_("Feed title")] == ANN
    assert preview[_("Note")] == NOTE
    assert preview[_("Contact")] == CONTACT
    assert first.get_by_role("link", name=feed_server.url("/feed.xml")).get_attribute("href") == (
        feed_server.url("/feed.xml")
    )
    assert first.locator("ol.latest-titles li").all_inner_texts() == POSTS

    # Approve with a tag, in one click.
    first.get_by_label(_("Tags")).fill("Friends")
    first.get_by_role("button", name=_("Approve")).click()
    words.check_lang(admin)
    assert _notice(admin) == _("Approved %(name)s: it is in the blogroll now.", name=ANN)
    assert nav.get_by_role("link", name=_("Submissions (%(count)s)", count=1)).is_visible()
    assert admin.locator("article.submission h2").all_inner_texts() == [BOB]

    # Reject the other, with a reason.
    second = _submission(admin, BOB)
    second.get_by_label(_("Reason")).fill(REASON)
    second.get_by_role("button", name=_("Reject")).click()
    words.check_lang(admin)
    assert _notice(admin) == _("Rejected %(name)s.", name=BOB)
    assert nav.get_by_role("link", name=_("Submissions (%(count)s)", count=0)).is_visible()
    assert admin.locator("#no-submissions").inner_text() == _("No submission waits.")

    # The approved blog is public, on the home page and its tag's page; the rejected one is not.
    home.goto(live_server + "/")
    words.check_lang(home)
    assert _blogroll(home) == [ANN]
    assert home.get_by_role("link", name=ANN, exact=True).get_attribute("href") == ann
    home.goto(live_server + "/tags/")
    home.get_by_role("link", name=TAG, exact=True).click()
    home.wait_for_url(f"{live_server}/tags/{TAG}")
    words.check_lang(home)
    assert _blogroll(home) == [ANN]
    assert home.locator(".entry").count() == 0  # not fetched yet
    assert BOB not in home.request.get(live_server + "/blogroll.opml").text()

    # The worker's pass fetches its feed: its posts appear on both pages.
    database = Database(make_engine(sqlite_settings))
    runner = Runner(sqlite_settings.model_copy(update={"allow_private_feeds": True}), database)
    try:
        report = runner.run_pass()
    finally:
        runner.close()
        database.engine.dispose()
    assert (report.count("stored"), report.new) == (1, 2)
    home.reload()
    assert home.locator(".entry h3").all_inner_texts() == POSTS
    home.goto(live_server + "/")
    assert home.locator(".latest .entry h3").all_inner_texts() == POSTS
    assert feed_server.hits["/bob/feed.xml"] == 1  # discovery's look only: a rejected blog is never fetched
