"""A feed parser for the parse pool's tests, run in its processes: it parses as the worker does, but a
body that says so kills its process (as a crash in a C extension would) or never returns, and every
entry's author is the id of the process that parsed it."""

from __future__ import annotations

import dataclasses
import os
import signal
import time

from blogroll.worker.parse import ParsedEntry, parse_feed

CRASH = b"<!-- crash the parser -->"
HANG = b"<!-- hang the parser -->"


def parse(body: bytes, *, url: str, content_type: str | None = None) -> list[ParsedEntry]:
    if CRASH in body:
        os.kill(os.getpid(), signal.SIGKILL)
    if HANG in body:
        time.sleep(120)
    return [
        dataclasses.replace(entry, author=str(os.getpid()))
        for entry in parse_feed(body, url=url, content_type=content_type)
    ]
