"""Renders the Helm chart (deploy/helm/blogroll) with `helm template` and finds objects in the result,
so tests read the manifests Kubernetes would get rather than the templates."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.helpers.prerequisites import require

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "blogroll"
RELEASE = "blogroll"
NAMESPACE = "blogroll"

# The value sets scripts/test-k8s checks: a name and the values files of each (none: the defaults).
VALUE_SETS: dict[str, tuple[Path, ...]] = {
    "defaults": (),
    "bundled-database": (CHART / "ci" / "bundled-database-values.yaml",),
    "ingress-autoscaling-tls": (CHART / "ci" / "ingress-autoscaling-tls-values.yaml",),
}

Object = dict[str, Any]
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")


class RenderError(Exception):
    """`helm template` refused the values; the message is helm's."""


def helm() -> str:
    """The helm binary (the helm-binary dev dependency); skips outside CI without it, fails in CI."""
    path = shutil.which("helm")
    require(path is not None, "helm is not installed (`uv sync` installs it from the dev dependencies)")
    assert path is not None
    return path


def render(*values_files: Path, settings: dict[str, str] | None = None) -> Manifests:
    """`helm template` of the chart with these values files and `--set NAME=VALUE` pairs."""
    command = [helm(), "template", RELEASE, str(CHART), "--namespace", NAMESPACE]
    for path in values_files:
        command += ["--values", str(path)]
    for name, value in (settings or {}).items():
        command += ["--set", f"{name}={value}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    if result.returncode != 0:
        raise RenderError(result.stderr.strip())
    return Manifests([doc for doc in yaml.safe_load_all(result.stdout) if doc])


@dataclass
class Manifests:
    objects: list[Object]

    def of_kind(self, kind: str) -> list[Object]:
        return [obj for obj in self.objects if obj["kind"] == kind]

    def get(self, kind: str, name: str) -> Object:
        """The object of that kind and name (`name` may leave out the release prefix: "web")."""
        full = name if name.startswith(f"{RELEASE}") else f"{RELEASE}-{name}"
        for obj in self.of_kind(kind):
            if obj["metadata"]["name"] == full:
                return obj
        raise LookupError(f"no {kind} named {full}: {[o['metadata']['name'] for o in self.of_kind(kind)]}")

    def workloads(self) -> list[Object]:
        return [obj for obj in self.objects if obj["kind"] in WORKLOAD_KINDS]

    def pod_templates(self) -> Iterator[tuple[Object, Object]]:
        """(workload, its pod template) for every Deployment, StatefulSet and Job."""
        for workload in self.workloads():
            yield workload, workload["spec"]["template"]

    def pods_selected_by(self, selector: dict[str, str]) -> list[Object]:
        """The workloads whose pods carry every label of `selector`."""
        return [
            workload
            for workload, template in self.pod_templates()
            if selector.items() <= template["metadata"]["labels"].items()
        ]

    def component(self, component: str) -> Object:
        """The one workload of a component (web, worker, proxy, migrate, postgresql)."""
        found = self.pods_selected_by({"app.kubernetes.io/component": component})
        assert len(found) == 1, f"{len(found)} workloads for component {component}"
        return found[0]

    def settings(self) -> dict[str, str]:
        """The app's plain settings (the ConfigMap every app container reads as its environment)."""
        data: dict[str, str] = self.get("ConfigMap", "settings")["data"]
        return data


def containers(pod_template: Object) -> list[Object]:
    spec = pod_template["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def container(workload: Object, name: str | None = None) -> Object:
    """A workload's container by name (its only one when not named)."""
    found = [c for c in containers(workload["spec"]["template"]) if name is None or c["name"] == name]
    assert len(found) == 1, f"{workload['metadata']['name']} has {len(found)} containers named {name}"
    return found[0]


def container_port(container: Object, port: int | str) -> int:
    """The number of a port given by name or number; fails when the container does not declare it."""
    for declared in container.get("ports", []):
        if port in (declared["containerPort"], declared.get("name")):
            number: int = declared["containerPort"]
            return number
    raise AssertionError(f"container {container['name']} declares no port {port!r}: {container.get('ports')}")


def _ports_match(rule: Object, port: int, protocol: str) -> bool:
    ports = rule.get("ports") or []
    if not ports:
        return True
    for entry in ports:
        if entry.get("protocol", "TCP") != protocol or "port" not in entry:
            continue
        low = entry["port"]
        if isinstance(low, int) and low <= port <= entry.get("endPort", low):
            return True
    return False


def egress_allows(policy: Object, address: str, port: int, protocol: str = "TCP") -> bool:
    """Whether a NetworkPolicy lets its pods reach an address outside the cluster (`address:port`).
    Pod and namespace selectors never match such an address; a rule without `to` matches every one."""
    target = ipaddress.ip_address(address)
    for rule in policy["spec"].get("egress", []):
        if not _ports_match(rule, port, protocol):
            continue
        peers = rule.get("to") or []
        if not peers:
            return True
        for peer in peers:
            block = peer.get("ipBlock")
            if block is None:
                continue
            network = ipaddress.ip_network(block["cidr"])
            if target.version != network.version or target not in network:
                continue
            if not any(
                target in ipaddress.ip_network(denied)
                for denied in block.get("except", [])
                if ipaddress.ip_network(denied).version == target.version
            ):
                return True
    return False
