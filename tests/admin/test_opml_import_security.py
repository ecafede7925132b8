"""The OPML import page under attack: forged requests, markup in the file, addresses on private
networks, and strangers who are not signed in."""

from __future__ import annotations

import io
from typing import Any

import httpcore
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.feed_server import FeedServer, Reply

from .forms import form_token
from .opml_files import MIXED, field_errors, from_address, section, upload

SCRIPT = '<script>alert("x")</script>'
HOSTILE = f"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>{SCRIPT.replace("<", "&lt;")}</title></head>
  <body>
    <outline text="&lt;script&gt;alert(1)&lt;/script&gt; folder">
      <outline type="rss" text="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
               xmlUrl="https://evil.example/feed" htmlUrl="javascript:alert(1)"
               category="&lt;img src=x onerror=alert(1)&gt;"/>
      <outline type="rss" text="&lt;b&gt;refused&lt;/b&gt; &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
               xmlUrl="javascript:alert(1)"/>
    </outline>
  </body>
</opml>
""".encode()


@pytest.mark.parametrize("token", [None, "forged"], ids=["missing", "wrong"])
@pytest.mark.parametrize("path", ["/admin/import/file", "/admin/import/url"])
def test_a_request_without_its_csrf_token_imports_nothing(
    browser: FlaskClient, feed_server: FeedServer, storage: Any, token: str | None, path: str
) -> None:
    url = feed_server.route("/blogroll.opml", Reply(body=MIXED))
    form_token(browser, "/admin/import")  # the session has a token; the request does not send it
    before = storage()
    data: dict[str, Any] = {"url": url} if path.endswith("url") else {"file": (_stream(MIXED), "f.opml")}
    if token is not None:
        data["csrf_token"] = token

    response = browser.post(path, data=data, content_type="multipart/form-data")

    assert response.status_code == 400
    assert storage() == before
    assert feed_server.hits == {}


def test_a_stranger_cannot_import(client: FlaskClient, storage: Any) -> None:
    form = client.get("/admin/import")
    assert form.status_code == 302
    assert form.headers["Location"] == "/admin/login?next=/admin/import"
    token = form_token(client, "/admin/login")
    before = storage()

    response = upload(client, MIXED, token=token)

    assert response.status_code == 403
    assert storage() == before


def test_markup_in_the_file_is_shown_as_text(browser: FlaskClient) -> None:
    response = upload(browser, HOSTILE, filename="<script>alert(1)</script>.opml")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>" not in page
    assert "<img" not in page and "<b>" not in page
    assert "javascript:" not in page.split('<section class="report" aria-labelledby="refused">')[0]
    assert "<h1>Imported &lt;script&gt;alert(1)&lt;/script&gt;.opml</h1>" in page
    assert section(page, "added") == [
        f"{SCRIPT} img src-x onerror-alert-1 script-alert-1-script-folder https://evil.example/feed"
    ]
    assert section(page, "refused")[0].startswith(f"<b>refused</b> {SCRIPT}: ")
    assert section(page, "notes")[0].startswith(f"{SCRIPT}: htmlUrl left out: ")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:{port}/blogroll.opml", "127.0.0.1 is a private address"),
        ("http://localhost:{port}/blogroll.opml", "localhost is on a private network ("),
        ("http://[::1]:{port}/blogroll.opml", "::1 is a private address"),
        ("http://10.0.0.8/blogroll.opml", "10.0.0.8 is a private address"),
        ("http://192.168.1.1/blogroll.opml", "192.168.1.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a private address"),
    ],
)
def test_an_address_on_a_private_network_is_refused_without_connecting(
    app: Flask,
    browser: FlaskClient,
    feed_server: FeedServer,
    storage: Any,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    message: str,
) -> None:
    """With BLOGROLL_ALLOW_PRIVATE_FEEDS off (the default), not even a connection is attempted."""
    feed_server.route("/blogroll.opml", Reply(body=MIXED))

    def no_connections(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", no_connections)
    token = form_token(browser, "/admin/import")
    before = storage()

    response = from_address(browser, url.format(port=feed_server.port), token=token)

    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True), "url")
    assert len(errors) == 1
    assert errors[0].startswith(message)  # localhost: 127.0.0.1 or ::1, as the resolver answers
    assert errors[0].endswith("; this blogroll fetches only from public addresses.")
    assert feed_server.hits == {}
    assert storage() == before


def _stream(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
