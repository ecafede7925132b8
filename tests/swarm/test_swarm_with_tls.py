"""HTTPS on the swarm (deploy/swarm/stack.tls.yaml): scripts/swarm-deploy with BLOGROLL_TLS_CERT and
BLOGROLL_TLS_KEY turns the running stack's proxy to TLS with a certificate from a throwaway CA made
for the run. HTTPS serves Blogroll with HSTS, plain HTTP redirects to it (the probes excepted), the
key exists only as a swarm secret readable by nginx, and a renewed certificate is rolled out by the
next deploy, its old secrets removed. The same deploy names a load balancer's range
(BLOGROLL_REAL_IP_FROM), which the proxy's start-up hook renders on swarm too.

Runs last, on the stack the other modules leave (file order): from here on plain HTTP redirects.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.certificates import (
    assert_plain_http_redirects_except_the_probes,
    https_client,
    throwaway_certificate,
)
from tests.helpers.ports import free_port

from .swarm import SwarmStack, docker

pytestmark = pytest.mark.swarm

# Where a load balancer in front would be (docs/swarm.md, "Behind a load balancer").
BALANCERS = "192.0.2.0/24"


@dataclass
class Tls:
    folder: Path
    ca: Path
    port: int


def deploy_with(stack: SwarmStack, tls: Tls, prefix: str) -> str:
    """Deploys the stack again with the pair `{prefix}cert.pem`/`key.pem`; returns the script's output."""
    stack.settings.update(
        BLOGROLL_REAL_IP_FROM=BALANCERS,
        BLOGROLL_TLS_CERT=str(tls.folder / f"{prefix}cert.pem"),
        BLOGROLL_TLS_KEY=str(tls.folder / f"{prefix}key.pem"),
        BLOGROLL_HTTPS_PORT=str(tls.port),
    )
    result = stack.deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def tls(stack: SwarmStack, tmp_path_factory: pytest.TempPathFactory) -> Tls:
    folder = tmp_path_factory.mktemp("swarm-tls")
    ca = throwaway_certificate(folder)
    # The client that deploys reads the files; nginx reads the secrets: the key may stay private.
    (folder / "key.pem").chmod(0o600)
    tls = Tls(folder, ca, free_port())
    output = deploy_with(stack, tls, "")
    assert f"https://127.0.0.1:{tls.port}/" in output
    return tls


def served_certificate(port: int) -> bytes:
    """The certificate the proxy presents on 127.0.0.1:PORT, in DER form (not verified here)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as wrapped,
    ):
        certificate = wrapped.getpeercert(binary_form=True)
    assert certificate
    return certificate


def der(pem: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.read_text())


def tls_secrets(stack: SwarmStack) -> list[str]:
    names = docker("secret", "ls", "--filter", stack.label, "--format", "{{.Name}}").split()
    return sorted(name for name in names if "_tls_" in name)


def test_https_serves_blogroll_with_hsts(stack: SwarmStack, tls: Tls) -> None:
    with https_client(tls.port, tls.ca) as https:
        home = https.get("/")
        assert home.status_code == 200
        assert "Blogroll" in home.text
        assert home.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
        assert home.headers["content-security-policy"].startswith("default-src 'self'")
        assert https.get("/readyz").json() == {"status": "ok", "database": "ok"}
        feed = https.get("/feed.atom")
        assert f'href="https://localhost:{tls.port}/' in feed.text


def test_plain_http_is_redirected_except_the_probes(stack: SwarmStack, tls: Tls) -> None:
    with stack.http() as plain:
        assert_plain_http_redirects_except_the_probes(plain)


def test_the_key_is_a_secret_only_nginx_reads(stack: SwarmStack, tls: Tls) -> None:
    assert stack.exec("proxy", "stat", "-c", "%u %a", "/run/secrets/tls_key").split() == ["101", "400"]
    key = (tls.folder / "key.pem").read_text()
    body = "".join(key.strip().splitlines()[1:-1])
    seen = [docker("service", "inspect", stack.service("proxy"))]
    seen += [docker("inspect", container) for container in stack.containers("proxy")]
    seen.append(stack.logs("proxy"))
    assert all(body[:64] not in text for text in seen)


def test_a_renewed_certificate_is_rolled_out_by_the_next_deploy(stack: SwarmStack, tls: Tls) -> None:
    before = tls_secrets(stack)
    assert served_certificate(tls.port) == der(tls.folder / "cert.pem")
    throwaway_certificate(tls.folder, "renewed-")
    deploy_with(stack, tls, "renewed-")
    assert served_certificate(tls.port) == der(tls.folder / "renewed-cert.pem")
    with https_client(tls.port, tls.ca) as https:
        assert https.get("/readyz").status_code == 200
    after = tls_secrets(stack)
    assert len(before) == len(after) == 2 and not set(before) & set(after), (before, after)


def test_the_proxy_renders_the_load_balancers_on_swarm_too(stack: SwarmStack, tls: Tls) -> None:
    """The start-up hook is a config of mode 0555 here (swarm's default, 0444, would not run)."""
    assert f"believing X-Forwarded-For from {BALANCERS}" in stack.logs("proxy")
    rendered = stack.exec("proxy", "cat", "/tmp/blogroll.d/real-ip.conf").splitlines()
    assert rendered[1:] == [
        f"set_real_ip_from {BALANCERS};",
        "real_ip_header X-Forwarded-For;",
        "real_ip_recursive on;",
    ]
