"""A throwaway certificate authority made with openssl for one test run, and a client that trusts
only it: HTTPS at the proxy (compose.tls.yaml, deploy/swarm/stack.tls.yaml) tested as a browser sees it."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import httpx


def openssl(*args: str, folder: Path) -> None:
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)


def throwaway_certificate(folder: Path, name: str = "") -> Path:
    """A CA made for this run (unless `folder` has one) and a certificate it signed for localhost and
    127.0.0.1, as `{name}cert.pem` and `{name}key.pem`; returns the CA's certificate."""
    if not (folder / "ca.pem").exists():
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                "/CN=Blogroll test CA", "-keyout", "ca.key", "-out", "ca.pem", folder=folder)  # fmt: skip
    key, cert = f"{name}key.pem", f"{name}cert.pem"
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", key, "-out", "server.csr", folder=folder)  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "san.ext", "-out", cert, folder=folder)  # fmt: skip
    # Compose's nginx runs as UID 101 and reads the key through the bind-mounted secret.
    (folder / key).chmod(0o644)
    return folder / "ca.pem"


def https_client(port: int, ca: Path) -> httpx.Client:
    """A client for https://localhost:PORT that trusts only `ca`."""
    context = ssl.create_default_context(cafile=str(ca))
    return httpx.Client(base_url=f"https://localhost:{port}", verify=context, timeout=15, trust_env=False)


def assert_plain_http_redirects_except_the_probes(plain: httpx.Client) -> None:
    """What the proxy with tls.conf answers over plain HTTP: 308 to https:// without HSTS, except
    the probes, which health checks ask over HTTP."""
    for path in ("/", "/api/v1/blogs?limit=5", "/admin/login"):
        answer = plain.get(path)
        assert answer.status_code == 308, path
        assert answer.headers["location"] == f"https://127.0.0.1{path}"
        assert "strict-transport-security" not in answer.headers
    assert plain.get("/healthz").status_code == 200
    assert plain.get("/readyz").status_code == 200
