"""Fault fixtures: the stack's database (each test module's stack runs on both), Docker as a
prerequisite, and the measured figures printed at the end of the run ("fault figures"). The stacks and
the load generator are fault_stacks.py and traffic.py beside this file.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.compose_stack import require_docker

from .fault_stacks import DATABASES, figures


def pytest_terminal_summary(terminalreporter: Any) -> None:
    figures.summarize(terminalreporter)


@pytest.fixture(scope="module", params=DATABASES)
def database(request: pytest.FixtureRequest) -> str:
    """The stack's database: module-scoped, so a module's tests share one stack per database."""
    return str(request.param)


@pytest.fixture
def docker_required() -> None:
    require_docker()
