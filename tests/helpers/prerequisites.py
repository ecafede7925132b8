"""What a test needs from the machine (a database server, Docker, Chromium, wrk): skipped on a laptop
that lacks it, a failure in CI, where every test must run."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skips with `reason` outside CI; in CI a missing prerequisite is a failure, never a skip."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must run this test, but: {reason}", pytrace=False)
    pytest.skip(reason)
