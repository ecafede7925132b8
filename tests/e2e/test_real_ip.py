"""The client's real address behind a load balancer in front of the compose stack's proxy
(BLOGROLL_REAL_IP_FROM, rendered by deploy/nginx/real-ip.sh when the proxy starts).

Requests from this machine reach nginx through the published port from the `front` network's
gateway address, so the gateway plays the load balancer: trusted, its X-Forwarded-For names the
client for nginx's log, its write limit and the app (a failed sign-in logs the address the app
saw, and the app's per-address limits use the same); untrusted, a forged X-Forwarded-For changes
nothing.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.admin.forms import csrf_token
from tests.helpers.compose_stack import Stack, production_files, running_stack
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.e2e

CLIENT = "203.0.113.7"
OTHER_CLIENT = "203.0.113.8"
# A range the test's own requests never come from.
ELSEWHERE = "192.0.2.0/24"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    files = production_files("postgresql")
    settings = {"BLOGROLL_REAL_IP_FROM": ""}
    with running_stack("blogroll-e2e-real-ip", files, label="e2e real ip", settings=settings) as stack:
        yield stack


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> str:
    """The address this machine's requests come from, as nginx sees them without any setting."""
    out = subprocess.run(
        ["docker", "network", "inspect", f"{stack.project}_front"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    address = str(json.loads(out)[0]["IPAM"]["Config"][0]["Gateway"])
    assert address
    return address


def proxy_trusting(stack: Stack, value: str) -> None:
    """The proxy started again with BLOGROLL_REAL_IP_FROM=value (only when that changes it)."""
    if stack.settings.get("BLOGROLL_REAL_IP_FROM") == value:
        return
    stack.settings["BLOGROLL_REAL_IP_FROM"] = value
    stack.compose("up", "--detach", "--wait", "--no-deps", "proxy", timeout=120)
    if value:
        logs = stack.compose("logs", "--no-color", "proxy").stdout
        assert f"believing X-Forwarded-For from {value}" in logs


def failed_sign_in(stack: Stack, forwarded_for: str | None) -> tuple[str, str]:
    """A failed sign-in, sent with that X-Forwarded-For; returns the client address nginx logged
    and the one the app logged."""
    name = f"realip-{time.time_ns()}"
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    with httpx.Client(base_url=stack.url(""), timeout=15, trust_env=False) as http:
        form = http.get("/admin/login", headers=headers)
        token = csrf_token(form.text)
        answer = http.post(
            f"/admin/login?probe={name}",
            data={"csrf_token": token, "name": name, "password": "not the password"},
            headers=headers,
        )
    assert answer.status_code == 401, answer.text

    def seen() -> tuple[str, str] | None:
        logs = stack.compose("logs", "--no-color", "proxy", "web").stdout
        by_nginx = re.search(rf'\| (\S+) "POST /admin/login\?probe={name} ', logs)
        by_app = re.search(rf"sign-in failed for user '{name}' from (\S+)", logs)
        return (by_nginx.group(1), by_app.group(1)) if by_nginx and by_app else None

    wait_until(lambda: seen() is not None, timeout=15, what="the sign-in in nginx's and the app's logs")
    found = seen()
    assert found
    return found


def test_without_the_setting_the_connecting_address_is_the_client(stack: Stack, gateway: str) -> None:
    proxy_trusting(stack, "")
    assert failed_sign_in(stack, None) == (gateway, gateway)
    assert failed_sign_in(stack, CLIENT) == (gateway, gateway)


def test_behind_a_trusted_balancer_its_x_forwarded_for_names_the_client(stack: Stack, gateway: str) -> None:
    proxy_trusting(stack, gateway)
    assert failed_sign_in(stack, CLIENT) == (CLIENT, CLIENT)
    # Whatever a client put in front of its own address, the balancer's last hop decides.
    assert failed_sign_in(stack, f"198.51.100.9, {CLIENT}") == (CLIENT, CLIENT)
    # Nothing forwarded: the balancer's own address.
    assert failed_sign_in(stack, None) == (gateway, gateway)


def test_x_forwarded_for_from_an_untrusted_address_changes_nothing(stack: Stack, gateway: str) -> None:
    proxy_trusting(stack, ELSEWHERE)
    assert failed_sign_in(stack, CLIENT) == (gateway, gateway)


def test_the_write_limit_counts_each_client_behind_the_balancer(stack: Stack, gateway: str) -> None:
    """nginx allows bursts of 40 writes per address (deploy/nginx/blogroll.conf): a client that sends
    120 at once is limited, and the next client behind the same balancer is not."""
    proxy_trusting(stack, gateway)

    def writes(client: str, count: int) -> Counter[int]:
        # More senders than the burst allows, on one client (making one costs more than a request).
        limits = httpx.Limits(max_connections=60)
        with (
            httpx.Client(base_url=stack.url(""), timeout=30, trust_env=False, limits=limits) as http,
            ThreadPoolExecutor(max_workers=60) as pool,
        ):
            # No token: the app answers 401, after nginx's limit has counted the write.
            sent = [
                pool.submit(http.post, "/api/v1/blogs", json={}, headers={"X-Forwarded-For": client})
                for _ in range(count)
            ]
            return Counter(answer.result().status_code for answer in sent)

    first = writes(CLIENT, 120)
    assert set(first) == {401, 429} and first[401] >= 40, first
    assert writes(OTHER_CLIENT, 10) == Counter({401: 10})
