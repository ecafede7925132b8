"""The swarm stack file stays the compose stack in swarm's form: same images, users, environment,
limits, health checks and hardening, differing only where swarm needs it (docs/swarm.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.compose_stack import ROOT

COMPOSE = ROOT / "compose.yaml"
STACK = ROOT / "deploy" / "swarm" / "stack.yaml"
STACK_TLS = ROOT / "deploy" / "swarm" / "stack.tls.yaml"
# In compose.yaml only: the one-shot that writes secret files (swarm has its own secrets).
COMPOSE_ONLY = {"secrets"}
# Set only in the stack: what makes each deploy run the migration job again.
STACK_ONLY_ENVIRONMENT = {"BLOGROLL_DEPLOY_ID"}


def services(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    found: dict[str, Any] = loaded["services"]
    return found


COMPOSE_SERVICES = services(COMPOSE)
STACK_SERVICES = services(STACK)
SHARED = sorted(set(COMPOSE_SERVICES) - COMPOSE_ONLY)


def test_the_stack_has_every_long_running_service_of_compose() -> None:
    assert set(STACK_SERVICES) == set(COMPOSE_SERVICES) - COMPOSE_ONLY


@pytest.mark.parametrize("name", SHARED)
def test_each_service_keeps_image_user_and_hardening(name: str) -> None:
    compose, stack = COMPOSE_SERVICES[name], STACK_SERVICES[name]
    for key in ("image", "user", "init", "read_only", "cap_drop", "stop_grace_period"):
        assert stack.get(key) == compose.get(key), f"{name}: {key} differs"
    if name != "migrate":  # the job also waits for the database: swarm has no depends_on
        assert stack.get("command") == compose.get("command"), name


@pytest.mark.parametrize("name", SHARED)
def test_each_service_keeps_environment_and_limits(name: str) -> None:
    compose, stack = COMPOSE_SERVICES[name], STACK_SERVICES[name]
    stack_environment = {
        k: v for k, v in (stack.get("environment") or {}).items() if k not in STACK_ONLY_ENVIRONMENT
    }
    compose_environment = dict(compose.get("environment") or {})
    if name == "migrate":
        assert stack["command"][:3] == compose["command"]
    assert stack_environment == compose_environment, name
    assert stack["deploy"]["resources"]["limits"] == compose["deploy"]["resources"]["limits"], name


@pytest.mark.parametrize("name", SHARED)
def test_each_service_keeps_its_health_check(name: str) -> None:
    assert STACK_SERVICES[name].get("healthcheck") == COMPOSE_SERVICES[name].get("healthcheck"), name


@pytest.mark.parametrize("name", SHARED)
def test_every_service_resolves_by_dns_round_robin(name: str) -> None:
    """No IPVS on this machine's kernel, and a proxy per node needs no virtual IP (docs/swarm.md)."""
    assert STACK_SERVICES[name]["deploy"]["endpoint_mode"] == "dnsrr"


def test_the_proxy_publishes_on_the_host_and_web_rolls_start_first() -> None:
    (port,) = STACK_SERVICES["proxy"]["ports"]
    assert port["mode"] == "host" and port["target"] == 8080
    update = STACK_SERVICES["web"]["deploy"]["update_config"]
    assert (update["parallelism"], update["order"], update["failure_action"]) == (
        1,
        "start-first",
        "rollback",
    )
    assert STACK_SERVICES["worker"]["deploy"]["update_config"]["order"] == "stop-first"
    assert STACK_SERVICES["worker"]["hostname"] == "worker-{{.Task.Slot}}"
    assert STACK_SERVICES["migrate"]["deploy"]["mode"] == "replicated-job"


def test_no_secret_value_and_no_secret_volume_in_the_stack() -> None:
    text = STACK.read_text()
    assert "PASSWORD:" not in text.replace("PASSWORD_FILE:", "")
    for name, service in STACK_SERVICES.items():
        mounts = [m if isinstance(m, str) else m.get("target", "") for m in service.get("volumes", [])]
        assert not any("/run/secrets" in mount for mount in mounts), name


def test_the_tls_overlay_mounts_what_compose_tls_mounts() -> None:
    """deploy/swarm/stack.tls.yaml is compose.tls.yaml for swarm: the same tls.conf at the same path,
    the same two secrets, HTTPS published on the host as well."""
    compose = yaml.safe_load((ROOT / "compose.tls.yaml").read_text())
    stack = yaml.safe_load(STACK_TLS.read_text())
    compose_proxy, stack_proxy = compose["services"]["proxy"], stack["services"]["proxy"]
    assert [c["target"] for c in stack_proxy["configs"]] == [c["target"] for c in compose_proxy["configs"]]
    (config,) = stack["configs"].values()
    (compose_config,) = compose["configs"].values()
    assert (STACK_TLS.parent / config["file"]).resolve() == (ROOT / compose_config["file"]).resolve()
    assert (
        [s["target"] for s in stack_proxy["secrets"]] == compose_proxy["secrets"] == ["tls_cert", "tls_key"]
    )
    # nginx (UID 101) alone reads them, whatever the files' modes on the deploying machine.
    assert {(s["uid"], s["mode"]) for s in stack_proxy["secrets"]} == {("101", 0o400)}
    (port,) = stack_proxy["ports"]
    assert port["mode"] == "host" and port["target"] == 8443


def test_both_proxies_run_the_real_ip_hook_from_the_same_file() -> None:
    """deploy/nginx/real-ip.sh as a start-up hook of the nginx image, which runs executable hooks
    only: compose bind-mounts it with its own mode, swarm needs the mode said (configs are 0444)."""
    compose = yaml.safe_load(COMPOSE.read_text())
    stack = yaml.safe_load(STACK.read_text())
    target = "/docker-entrypoint.d/40-blogroll-real-ip.sh"
    (compose_mount,) = [c for c in compose["services"]["proxy"]["configs"] if c["target"] == target]
    (stack_mount,) = [c for c in stack["services"]["proxy"]["configs"] if c["target"] == target]
    assert stack_mount["mode"] == 0o555
    compose_file = ROOT / compose["configs"][compose_mount["source"]]["file"]
    stack_file = STACK.parent / stack["configs"][stack_mount["source"]]["file"]
    assert compose_file.resolve() == stack_file.resolve() == ROOT / "deploy" / "nginx" / "real-ip.sh"
