"""End-to-end hooks: the measured durations (tests/helpers/compose_stack.py's `record_timing`) are
printed at the end of the run ("e2e timings"). The stack driver itself is tests/helpers/compose_stack.py.
"""

from __future__ import annotations

from typing import Any

from tests.helpers.compose_stack import timings


def pytest_terminal_summary(terminalreporter: Any) -> None:
    timings.summarize(terminalreporter)
