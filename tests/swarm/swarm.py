"""Driving a Blogroll stack on a single-node swarm that the tests make themselves (and unmake)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.compose_stack import ROOT

DEPLOY = ROOT / "scripts" / "swarm-deploy"
# Layered on deploy/swarm/stack.yaml for every test deploy: the fixture feed server, workers that fetch
# from it.
TEST_ADDITIONS = Path(__file__).resolve().parent / "stack.test.yaml"


def docker(*args: str, check: bool = True, input: str | None = None, timeout: float = 300) -> str:
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=False, input=input, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result.stdout


def swarm_state() -> str:
    return docker("info", "--format", "{{.Swarm.LocalNodeState}}").strip()


@dataclass
class SwarmStack:
    """A deployed stack: its name, published port, and ways to look inside."""

    name: str
    port: int
    # Extra stack files (`scripts/swarm-deploy -c`), and settings for scripts/swarm-deploy.
    files: list[Path] = field(default_factory=lambda: [TEST_ADDITIONS])
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The filter that finds everything of this stack."""
        return f"label=com.docker.stack.namespace={self.name}"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "BLOGROLL_PORT": str(self.port), "BLOGROLL_TAG": self.name, **self.settings}

    def deploy(self, timeout: float = 420) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(DEPLOY), *(arg for path in self.files for arg in ("-c", str(path))), self.name],
            env={**self.env, "SWARM_DEPLOY_TIMEOUT": str(int(timeout - 60))},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url(""), timeout=15, trust_env=False)

    def service(self, short: str) -> str:
        return f"{self.name}_{short}"

    def services(self) -> list[str]:
        listed = docker(
            "service",
            "ls",
            "--filter",
            self.label,
            "--format",
            "{{.Name}}",
        )
        return listed.split()

    def tasks(self, short: str) -> list[dict[str, Any]]:
        """The service's tasks as `docker service ps` shows them, newest first."""
        out = docker("service", "ps", "--no-trunc", "--format", "{{json .}}", self.service(short))
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def containers(self, short: str | None = None) -> list[str]:
        label = (
            f"com.docker.swarm.service.name={self.service(short)}"
            if short
            else f"com.docker.stack.namespace={self.name}"
        )
        return docker("ps", "--quiet", "--filter", f"label={label}").split()

    def exec(self, short: str, *command: str) -> str:
        containers = self.containers(short)
        assert containers, f"no running container of {short}"
        return docker("exec", containers[0], *command)

    def container_of(self, short: str, hostname: str) -> str:
        """The running container of `short` whose host name is `hostname` (say, worker-1)."""
        for container in self.containers(short):
            if docker("inspect", "--format", "{{.Config.Hostname}}", container).strip() == hostname:
                return container
        raise AssertionError(f"no running {short} task is called {hostname}")

    def address(self, container: str, network: str) -> str:
        """The container's address on one of the stack's networks (`back`, `front`, `egress`)."""
        template = f'{{{{(index .NetworkSettings.Networks "{self.name}_{network}").IPAddress}}}}'
        return docker("inspect", "--format", template, container).strip()

    def logs(self, short: str, since: str | None = None) -> str:
        """What the service's tasks wrote, old and new ones alike."""
        window = ["--since", since] if since else []
        return docker("service", "logs", "--raw", "--no-trunc", *window, self.service(short), check=False)

    def sql(self, query: str) -> list[list[str]]:
        """Rows of a query run by `psql` inside the database's own task (over its local socket)."""
        out = self.exec("db", "psql", "-U", "blogroll", "-d", "blogroll", "-AtX", "-F", "|", "-c", query)
        return [line.split("|") for line in out.splitlines() if line]

    def scale(self, short: str, replicas: int) -> None:
        docker("service", "scale", "--detach", f"{self.service(short)}={replicas}")

    def create_token(self) -> str:
        token = self.exec("web", "blogroll", "tokens", "create", "--name", f"swarm-{time.time_ns()}").strip()
        assert token, "`blogroll tokens create` printed no token"
        return token

    def image(self, short: str) -> str:
        return docker(
            "service",
            "inspect",
            "--format",
            "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
            self.service(short),
        ).strip()

    def remove(self) -> None:
        docker("stack", "rm", self.name, check=False)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            left = docker("ps", "--all", "--quiet", "--filter", self.label)
            networks = docker("network", "ls", "--quiet", "--filter", self.label)
            if not left.strip() and not networks.strip():
                break
            time.sleep(1)
        # The database password (scripts/swarm-deploy's) and any TLS pair (the stack's own).
        for secret in docker("secret", "ls", "--quiet", "--filter", self.label).split():
            docker("secret", "rm", secret, check=False)
        docker("secret", "rm", f"{self.name}_db_password", check=False)
        for config in docker("config", "ls", "--quiet", "--filter", self.label).split():
            docker("config", "rm", config, check=False)
        for volume in docker("volume", "ls", "--quiet", "--filter", self.label).split():
            docker("volume", "rm", "--force", volume, check=False)
        docker("image", "rm", f"blogroll:{self.name}", check=False)
