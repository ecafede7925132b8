"""HTTPS at the proxy (compose.tls.yaml), with a certificate from a throwaway CA made for the run:
HTTPS serves Blogroll with HSTS, plain HTTP redirects to it (the probes excepted), and the app knows
its requests came over HTTPS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.helpers.certificates import (
    assert_plain_http_redirects_except_the_probes,
    https_client,
    throwaway_certificate,
)
from tests.helpers.compose_stack import ROOT, Stack, production_files, running_stack
from tests.helpers.ports import free_port

pytestmark = pytest.mark.e2e


@dataclass
class TlsStack:
    stack: Stack
    https_port: int
    ca: Path

    def https(self) -> httpx.Client:
        return https_client(self.https_port, self.ca)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsStack]:
    folder = tmp_path_factory.mktemp("tls")
    folder.chmod(0o755)
    ca = throwaway_certificate(folder)
    https_port = free_port()
    settings = {
        "BLOGROLL_TLS_CERT": str(folder / "cert.pem"),
        "BLOGROLL_TLS_KEY": str(folder / "key.pem"),
        "BLOGROLL_HTTPS_PORT": str(https_port),
    }
    files = [*production_files("postgresql"), ROOT / "compose.tls.yaml"]
    with running_stack("blogroll-e2e-tls", files, label="e2e tls", settings=settings) as stack:
        yield TlsStack(stack, https_port, ca)


def test_https_serves_blogroll_with_hsts(tls: TlsStack) -> None:
    with tls.https() as https:
        home = https.get("/")
        assert home.status_code == 200
        assert home.http_version in ("HTTP/1.1", "HTTP/2")
        assert home.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
        assert home.headers["content-security-policy"].startswith("default-src 'self'")
        assert https.get("/readyz").json() == {"status": "ok", "database": "ok"}


def test_plain_http_is_redirected_except_the_probes(tls: TlsStack) -> None:
    assert_plain_http_redirects_except_the_probes(tls.stack.http)


def test_the_app_knows_its_requests_came_over_https(tls: TlsStack) -> None:
    """Through X-Forwarded-Proto: absolute links are https, and the session cookie is Secure."""
    with tls.https() as https:
        feed = https.get("/feed.atom")
        assert feed.status_code == 200
        links = re.findall(r'href="([^"]+)"', feed.text)
        assert links and all(link.startswith(f"https://localhost:{tls.https_port}/") for link in links), links
        sign_in = https.get("/admin/login")
        assert sign_in.status_code == 200
        cookie = sign_in.headers["set-cookie"]
        assert cookie.startswith("blogroll_session=")
        assert "Secure" in cookie
