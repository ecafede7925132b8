"""One POST from each of Python's usual HTTP clients (urllib, requests, httpx), which all send the whole
body before they read the answer, then a GET on the same client: what a real server or the stack
shows them when it answers before reading the body."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from email.message import Message
from typing import Any

import httpx
import requests

CLIENTS = ("urllib", "requests", "httpx")
TIMEOUT = 30.0
MB = 1024 * 1024

Body = bytes | Iterable[bytes]


@dataclass
class Answer:
    """The POST's answer as the client read it, and the status of the GET sent after it."""

    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes
    then: int

    def json(self) -> Any:
        return json.loads(self.body)


def blank(size: int) -> bytes:
    return b" " * size


def streamed(size: int, piece: int = 64 * 1024) -> Iterator[bytes]:
    """`size` bytes with no Content-Length: the clients send them chunked."""
    sent = 0
    while sent < size:
        chunk = min(piece, size - sent)
        yield b" " * chunk
        sent += chunk


def post_then_get(client: str, url: str, body: Body, headers: dict[str, str], then_url: str) -> Answer:
    """POSTs `body` to `url` with `client`, then GETs `then_url` with the same client (for requests and
    httpx on the same connection when the answer kept it open; urllib has one per request)."""
    return SENDERS[client](url, body, headers, then_url)


def _urllib(url: str, body: Body, headers: dict[str, str], then_url: str) -> Answer:
    # No proxy from the environment, like the other two below.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    got: Message
    try:
        with opener.open(request, timeout=TIMEOUT) as answer:
            status, got, content = answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        with error:
            status, got, content = error.code, error.headers, error.read()
    with opener.open(then_url, timeout=TIMEOUT) as next_answer:
        then = next_answer.status
    return Answer(status, {name.lower(): value for name, value in got.items()}, content, then)


def _requests(url: str, body: Body, headers: dict[str, str], then_url: str) -> Answer:
    with requests.Session() as session:
        session.trust_env = False
        answer = session.post(url, data=body, headers=headers, timeout=TIMEOUT)
        then = session.get(then_url, timeout=TIMEOUT).status_code
    return Answer(answer.status_code, _lower(answer.headers), answer.content, then)


def _httpx(url: str, body: Body, headers: dict[str, str], then_url: str) -> Answer:
    with httpx.Client(timeout=TIMEOUT, trust_env=False) as client:
        answer = client.post(url, content=body, headers=headers)
        then = client.get(then_url).status_code
    return Answer(answer.status_code, _lower(answer.headers), answer.content, then)


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


SENDERS: dict[str, Callable[[str, Body, dict[str, str], str], Answer]] = {
    "urllib": _urllib,
    "requests": _requests,
    "httpx": _httpx,
}
