"""The chart runs what the compose stack runs: the same images, users, settings, resource limits and
nginx configuration (deploy/nginx/), changed only where Kubernetes differs from Docker."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from tests.helpers.helm_chart import NAMESPACE, ROOT, Manifests, container

pytestmark = pytest.mark.kubernetes

# compose.yaml's services and the chart's components.
COMPONENTS = {"web": "web", "worker": "worker", "migrate": "migrate", "proxy": "proxy", "db": "postgresql"}
BINARY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 2**10, "M": 2**20, "G": 2**30}


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def with_defaults(value: str) -> str:
    """`${NAME:-default}` as Compose sees it with nothing set."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))


def cpus(quantity: str) -> float:
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def memory_bytes(quantity: str) -> int:
    parsed = re.fullmatch(r"(\d+)([KMG]i?)", quantity)
    assert parsed is not None, quantity
    number, unit = parsed.groups()
    return int(number) * BINARY_UNITS[unit]


def test_nginx_configuration_is_the_compose_stacks_with_three_lines_for_kubernetes(
    defaults: Manifests,
) -> None:
    config = defaults.get("ConfigMap", "nginx")["data"]
    web = defaults.get("Service", "web")
    pairs = [
        ("nginx.conf", ROOT / "deploy/nginx/nginx.conf"),
        ("default.conf", ROOT / "deploy/nginx/blogroll.conf"),
    ]
    changed = []
    for key, source in pairs:
        ours = config[key].splitlines()
        theirs = [line.rstrip() for line in source.read_text().splitlines()]
        assert len(ours) == len(theirs), key
        changed += [(a.strip(), b.strip()) for a, b in zip(theirs, ours, strict=True) if a != b]
    address = f"{web['metadata']['name']}.{NAMESPACE}.svc.cluster.local"
    assert changed == [
        ("worker_processes auto;", "worker_processes 2;"),
        (
            "resolver 127.0.0.11 valid=1s ipv6=off;",
            "resolver kube-dns.kube-system.svc.cluster.local valid=1s ipv6=off;",
        ),
        ("set $blogroll_web http://web:8000;", f"set $blogroll_web http://{address}:8000;"),
    ]
    # nginx asks DNS for the web pods themselves: the Service is headless and on the port named.
    assert web["spec"]["clusterIP"] == "None"
    assert [port["port"] for port in web["spec"]["ports"]] == [8000]


def test_images_and_users_are_the_compose_stacks(bundled_database: Manifests) -> None:
    services = compose()["services"]
    dockerfile_user = re.search(r"^USER (\d+):(\d+)$", (ROOT / "Dockerfile").read_text(), re.M)
    assert dockerfile_user is not None
    for service, component in COMPONENTS.items():
        workload = bundled_database.component(component)
        image = container(workload)["image"]
        context = workload["spec"]["template"]["spec"]["securityContext"]
        if "user" in services[service]:
            user, group = services[service]["user"].split(":")
            assert image == services[service]["image"], service
        else:
            user, group = dockerfile_user.groups()
            assert image.split(":")[0] == with_defaults(services[service]["image"]).split(":")[0], service
        assert (context["runAsUser"], context["runAsGroup"]) == (int(user), int(group)), service


def test_resource_limits_are_the_compose_stacks(bundled_database: Manifests) -> None:
    services = compose()["services"]
    for service, component in COMPONENTS.items():
        theirs = services[service]["deploy"]["resources"]["limits"]
        ours = container(bundled_database.component(component))["resources"]["limits"]
        assert cpus(ours["cpu"]) == float(theirs["cpus"]), service
        assert memory_bytes(ours["memory"]) == memory_bytes(theirs["memory"]), service


@pytest.mark.parametrize("service", ["web", "worker", "migrate"])
def test_app_settings_are_the_compose_stacks(bundled_database: Manifests, service: str) -> None:
    theirs = {
        name: with_defaults(value) for name, value in compose()["services"][service]["environment"].items()
    }
    ours = bundled_database.settings()
    for name, value in theirs.items():
        if name == "DATABASE_URL":
            # The same user, database and port; the host is the bundled database's Service.
            a, b = make_url(value), make_url(ours[name])
            assert (a.username, a.database, a.port, a.password) == (
                b.username,
                b.database,
                b.port,
                b.password,
            )
        elif name.endswith("_FILE"):
            assert ours[name].startswith("/run/secrets/") or ours[name].startswith("/tmp/"), name
        else:
            assert ours[name] == value, name
