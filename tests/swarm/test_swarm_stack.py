"""Blogroll on Docker Swarm, deployed by scripts/swarm-deploy from this checkout: it comes up from
empty with the migrations applied once, runs hardened with its password only in a swarm secret, and
updates roll one replica at a time without failing a request, rolling back a bad image by itself."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.helpers.traffic import Load, summarize
from tests.helpers.waiting import wait_until

from .swarm import SwarmStack, docker

pytestmark = pytest.mark.swarm
ROOT_USERS = {"", "0", "root", "0:0"}


def test_the_stack_comes_up_from_empty_with_migrations_applied_once(stack: SwarmStack) -> None:
    migrations = stack.tasks("migrate")
    assert [task["CurrentState"].split()[0] for task in migrations] == ["Complete"]
    with stack.http() as http:
        assert http.get("/readyz").json() == {"status": "ok", "database": "ok"}
        home = http.get("/")
        assert home.status_code == 200
        assert "Blogroll" in home.text
        assert http.get("/metrics").status_code == 404
    running = {name.removeprefix(f"{stack.name}_") for name in stack.services()}
    # feeds: the fixture feed server of tests/swarm/stack.test.yaml.
    assert running == {"db", "migrate", "web", "worker", "proxy", "feeds"}
    assert len(stack.containers("web")) == 2


def test_the_worker_has_a_stable_name_per_slot(stack: SwarmStack) -> None:
    assert (
        stack.exec("worker", "python", "-c", "import socket; print(socket.gethostname())").strip()
        == "worker-1"
    )


def test_every_task_is_non_root_read_only_without_capabilities(stack: SwarmStack) -> None:
    containers = stack.containers()
    assert len(containers) >= 5
    for container in containers:
        info = json.loads(docker("inspect", container))[0]
        name = info["Name"]
        user = (
            info["Config"]["User"]
            or json.loads(docker("image", "inspect", info["Image"]))[0]["Config"]["User"]
        )
        assert user not in ROOT_USERS, f"{name} runs as root"
        assert info["HostConfig"]["ReadonlyRootfs"], f"{name} has a writable root filesystem"
        assert "ALL" in (info["HostConfig"]["CapDrop"] or []), f"{name} keeps capabilities"
        processes = stack_processes(container)
        assert processes and not processes & {"0", "root"}, f"{name} has processes of {processes}"


def stack_processes(container: str) -> set[str]:
    """The user of every process in a container, as the engine sees them (`docker top`)."""
    top = docker("top", container, "-o", "pid,user")
    return {line.split()[1] for line in top.splitlines()[1:] if line.strip()}


def test_the_password_is_in_no_environment_inspect_output_or_log(stack: SwarmStack) -> None:
    password = stack.exec("web", "cat", "/run/secrets/db_password").strip()
    assert len(password) >= 32
    seen = []
    for service in stack.services():
        seen.append(docker("service", "inspect", service))
        seen.append(docker("service", "logs", "--raw", service, check=False))
    for container in stack.containers():
        seen.append(docker("inspect", container))
    assert all(password not in text for text in seen)


def test_a_rolling_update_of_web_under_load_fails_no_request(stack: SwarmStack) -> None:
    token = stack.create_token()
    load = Load(stack.url(""), token, feed_url="https://blog.example.org/feed.xml", limit=240).start()
    try:
        time.sleep(2)
        started = time.monotonic()
        docker("service", "update", "--force", "--detach=false", "--quiet", stack.service("web"), timeout=240)
        updated = time.monotonic() - started
        time.sleep(2)
    finally:
        outcomes = load.stop()
    counts = summarize(outcomes)
    print(
        f"[swarm] rolling update of 2 web replicas: {updated:.1f} s; {len(outcomes)} requests: {dict(counts)}"
    )
    failed = [o for o in outcomes if o.status is None or o.status >= 500]
    assert not failed, f"{len(failed)} failed: {summarize(failed)}; first: {failed[0]}"
    assert counts["write 201"] > 0 and counts["read 200"] > 0


def test_a_bad_image_rolls_back_by_itself(stack: SwarmStack) -> None:
    web = stack.service("web")
    good = stack.image("web")
    bad = f"blogroll:{stack.name}-broken"
    docker("build", "--quiet", "--tag", bad, "-", input=f'FROM {good.split("@")[0]}\nCMD ["false"]\n')
    try:
        result = subprocess.run(
            ["docker", "service", "update", "--detach=false", "--quiet", "--image", bad, web],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        wait_until(
            lambda: (
                docker("service", "inspect", "--format", "{{.UpdateStatus.State}}", web).strip()
                == "rollback_completed"
            ),
            timeout=240,
            what="the rollback to finish",
        )
        image = docker(
            "service", "inspect", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}", web
        ).strip()
        assert image == good, result.stdout + result.stderr
        with stack.http() as http:
            wait_until(lambda: http.get("/readyz").status_code == 200, timeout=60, what="web to answer")
        assert len(stack.containers("web")) == 2
    finally:
        docker("image", "rm", "--force", bad, check=False)


def test_a_second_deploy_is_an_update_that_migrates_again(stack: SwarmStack) -> None:
    result = stack.deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "created secret" not in result.stdout
    states = [task["CurrentState"].split()[0] for task in stack.tasks("migrate")]
    assert states.count("Complete") >= 2, states
    with stack.http() as http:
        assert http.get("/readyz").status_code == 200
