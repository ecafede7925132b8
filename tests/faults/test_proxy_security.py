"""Security of the deployment that needs the running stack, beyond tests/e2e: security headers on
every kind of answer (the app's, nginx's own errors, the rate limit), no version banners, writes
rate-limited at the proxy, and tokens kept out of every log even after writes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.helpers.blog_api import auth
from tests.helpers.compose_stack import Stack

from .fault_stacks import FEED_URL, fault_stack, record_figure

pytestmark = pytest.mark.faults

# The proxy's rate for writes (deploy/nginx/blogroll.conf): 10 a second, bursts of 40.
BURST = 40


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with fault_stack("security") as stack:
        yield stack


@pytest.fixture(scope="module")
def token(stack: Stack) -> str:
    return str(stack.create_token("security"))


def assert_security_headers(response: httpx.Response) -> None:
    headers = response.headers
    policy = headers["content-security-policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in (item.strip() for item in policy.split(";")) if part
    )
    # Scripts only from the site itself (default-src, there is no script-src): no inline script.
    assert "script-src" not in directives and directives["default-src"] == ["'self'"], policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, policy
    assert directives["frame-ancestors"] == ["'none'"], policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["x-frame-options"] == "DENY"
    # No versions: nginx names itself only, gunicorn and Python not at all.
    assert headers.get("server") == "nginx", headers.get("server")
    assert "x-powered-by" not in headers
    assert not re.search(r"nginx/\d|gunicorn|werkzeug|python/\d", response.text, re.IGNORECASE), (
        response.text[:300]
    )


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/api/v1/blogs", 200),
        ("GET", "/readyz", 200),
        ("GET", "/no/such/page", 404),
        ("GET", "/api/v1/no-such-thing", 404),
        ("POST", "/api/v1/blogs", 401),
        ("DELETE", "/", 405),
    ],
)
def test_every_answer_carries_the_security_headers(stack: Stack, method: str, path: str, status: int) -> None:
    response = stack.http.request(method, path)
    assert response.status_code == status
    assert_security_headers(response)


def test_nginx_s_own_errors_carry_the_headers_without_a_version(stack: Stack) -> None:
    too_big = stack.http.post("/api/v1/blogs", content=b"x" * (3 * 1024 * 1024))
    assert too_big.status_code == 413
    assert_security_headers(too_big)
    bad = httpx.get(stack.url("/"), headers={"Host": ""}, trust_env=False)
    assert bad.status_code == 400
    assert_security_headers(bad)


def test_the_pages_have_no_inline_script(stack: Stack) -> None:
    html = stack.http.get("/").text
    for tag in re.findall(r"<script\b[^>]*>", html, re.IGNORECASE):
        assert "src=" in tag, f"inline script: {tag}"
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE), "inline event handler"


def test_tokens_never_appear_in_logs_after_writes(stack: Stack, token: str) -> None:
    wrong = "br_" + "x" * 40
    created = stack.http.post(
        "/api/v1/blogs", json={"name": "Logged?", "feed_url": f"{FEED_URL}?logged=1"}, headers=auth(token)
    )
    assert created.status_code == 201, created.text
    blog = created.json()
    url = f"/api/v1/blogs/{blog['id']}"
    assert stack.http.patch(url, json={"description": "changed"}, headers=auth(token)).status_code == 200
    assert stack.http.post(f"{url}/refresh", headers=auth(token)).status_code in (200, 202)
    assert stack.http.patch(url, json={"description": "x"}, headers=auth(wrong)).status_code == 401
    assert stack.http.delete(url, headers=auth(token)).status_code == 204

    logs = stack.logs()
    assert "Logged?" in logs or url in logs, "the writes should have been logged"
    for secret in (token, wrong):
        assert secret not in logs
    assert "Bearer" not in logs


# Last: it uses up this address's allowance of writes for a few seconds.
def test_a_burst_of_writes_is_limited_at_the_proxy_with_a_json_429(stack: Stack, token: str) -> None:
    def post(number: int) -> httpx.Response:
        return httpx.post(
            stack.url("/api/v1/blogs"),
            json={"name": f"Burst {number}", "feed_url": f"{FEED_URL}?burst={number}"},
            headers=auth(token),
            timeout=30,
            trust_env=False,
        )

    # More senders than the burst allows: the first wave alone overflows it, however slow the app is.
    with ThreadPoolExecutor(max_workers=BURST + 20) as pool:
        responses = list(pool.map(post, range(BURST * 3)))
        # Reads are not limited, even while writes are.
        reads = Counter(stack.http.get("/api/v1/blogs?limit=1").status_code for _ in range(20))

    counts = Counter(response.status_code for response in responses)
    record_figure(
        f"a burst of {BURST * 3} writes from one address: {dict(counts)}; 20 reads meanwhile: {reads}"
    )
    assert set(counts) == {201, 429}, counts
    assert counts[201] >= BURST
    assert set(reads) == {200}, reads
    limited = next(response for response in responses if response.status_code == 429)
    assert limited.headers["content-type"].startswith("application/json")
    assert limited.json()["error"] == "too_many_requests"
    assert_security_headers(limited)
