"""HTTPS at the proxy (compose.tls.yaml), with a certificate from a throwaway CA made for the run:
HTTPS serves Blogroll with HSTS, plain HTTP redirects to it (the probes excepted), and the app knows
its requests came over HTTPS."""

from __future__ import annotations

import re
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.helpers.compose_stack import ROOT, Stack, production_files, running_stack
from tests.helpers.ports import free_port

pytestmark = pytest.mark.e2e


@dataclass
class TlsStack:
    stack: Stack
    https_port: int
    ca: Path

    def https(self) -> httpx.Client:
        context = ssl.create_default_context(cafile=str(self.ca))
        return httpx.Client(
            base_url=f"https://localhost:{self.https_port}", verify=context, timeout=15, trust_env=False
        )


def openssl(*args: str, folder: Path) -> None:
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)


def throwaway_certificate(folder: Path) -> Path:
    """A CA made for this run and a certificate it signed for localhost and 127.0.0.1; returns the CA."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Blogroll test CA",
            "-keyout", "ca.key", "-out", "ca.pem", folder=folder)  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", "key.pem", "-out", "server.csr", folder=folder)  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "san.ext", "-out", "cert.pem", folder=folder)  # fmt: skip
    # nginx runs as UID 101 and reads the key through the bind-mounted secret.
    (folder / "key.pem").chmod(0o644)
    return folder / "ca.pem"


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
    plain = tls.stack.http
    for path in ("/", "/api/v1/blogs?limit=5", "/admin/login"):
        answer = plain.get(path)
        assert answer.status_code == 308, path
        assert answer.headers["location"] == f"https://127.0.0.1{path}"
        assert "strict-transport-security" not in answer.headers
    assert plain.get("/healthz").status_code == 200
    assert plain.get("/readyz").status_code == 200


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
