"""The swarm suite's stack: a single-node swarm made for the run (and left afterwards), one stack
deployed by scripts/swarm-deploy from this checkout, removed with its secrets, configs and volumes."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator

import pytest

from tests.helpers.ports import free_port
from tests.helpers.prerequisites import require

from .swarm import SwarmStack, docker, swarm_state

GATEWAY_BRIDGE = "docker_gwbridge"


@pytest.fixture(scope="session")
def swarm() -> Iterator[None]:
    """A swarm this run created: one that already exists belongs to someone else and is not used."""
    require(shutil.which("docker") is not None, "the swarm tests need Docker (scripts/test-docker swarm)")
    state = swarm_state()
    require(state == "inactive", f"this engine is already in a swarm ({state}); the tests use only their own")
    # `swarm init` makes the docker_gwbridge network, and leaving keeps it: removed when this run made it.
    had_bridge = GATEWAY_BRIDGE in docker("network", "ls", "--format", "{{.Name}}").split()
    docker("swarm", "init", "--advertise-addr", "127.0.0.1")
    try:
        yield
    finally:
        docker("swarm", "leave", "--force", check=False)
        if not had_bridge:
            docker("network", "rm", GATEWAY_BRIDGE, check=False)


@pytest.fixture(scope="session")
def stack(swarm: None) -> Iterator[SwarmStack]:
    deployed = SwarmStack(name=f"brswarm{uuid.uuid4().hex[:6]}", port=free_port())
    try:
        result = deployed.deploy()
        assert result.returncode == 0, f"swarm-deploy failed:\n{result.stdout}\n{result.stderr}"
        yield deployed
    finally:
        deployed.remove()
