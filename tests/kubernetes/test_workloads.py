"""The chart's pods: what selects them, how they are probed, stopped, hardened and sized."""

from __future__ import annotations

import pytest

from tests.helpers.helm_chart import Manifests, Object, container, container_port, containers

pytestmark = pytest.mark.kubernetes

# Volume types the "restricted" Pod Security Standard allows.
RESTRICTED_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def test_every_workload_selects_its_own_pods(manifests: Manifests) -> None:
    for workload, template in manifests.pod_templates():
        selector = workload["spec"].get("selector", {}).get("matchLabels")
        if workload["kind"] == "Job":
            continue
        assert selector, workload["metadata"]["name"]
        assert selector.items() <= template["metadata"]["labels"].items(), workload["metadata"]["name"]
        assert manifests.pods_selected_by(selector) == [workload], "selectors of two workloads overlap"


def test_every_service_selects_one_workload_with_its_target_ports(manifests: Manifests) -> None:
    for service in manifests.of_kind("Service"):
        name = service["metadata"]["name"]
        selected = manifests.pods_selected_by(service["spec"]["selector"])
        assert len(selected) == 1, f"Service {name} selects {len(selected)} workloads"
        pod_containers = containers(selected[0]["spec"]["template"])
        for port in service["spec"].get("ports", []):
            assert any(
                port["targetPort"] in [p.get("name") for p in c.get("ports", [])]
                or port["targetPort"] in [p["containerPort"] for p in c.get("ports", [])]
                for c in pod_containers
            ), f"Service {name} targets port {port['targetPort']!r}, which no container declares"


def test_statefulsets_name_an_existing_headless_service(manifests: Manifests) -> None:
    for statefulset in manifests.of_kind("StatefulSet"):
        service = manifests.get("Service", statefulset["spec"]["serviceName"])
        assert manifests.pods_selected_by(service["spec"]["selector"]) == [statefulset]


def test_every_probe_uses_a_port_its_container_declares(manifests: Manifests) -> None:
    probed = 0
    for _workload, template in manifests.pod_templates():
        for each in containers(template):
            for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
                probe = each.get(kind)
                if probe is None:
                    continue
                probed += 1
                action = probe.get("httpGet") or probe.get("tcpSocket")
                if action is not None:
                    container_port(each, action["port"])
                else:
                    assert probe["exec"]["command"], f"{each['name']} {kind} runs nothing"
    assert probed >= 8


def test_web_is_ready_only_with_its_database_and_drains_before_it_is_killed(defaults: Manifests) -> None:
    web = defaults.get("Deployment", "web")
    app = container(web, "web")
    assert app["command"] == ["blogroll", "serve"]
    assert app["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert app["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert app["startupProbe"]["httpGet"]["path"] == "/healthz"
    # A rollout never has fewer serving pods than asked for.
    assert web["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert web["spec"]["replicas"] >= 2
    # preStop pause, then gunicorn drains for BLOGROLL_GRACEFUL_TIMEOUT; SIGKILL only after both.
    pause = app["lifecycle"]["preStop"]["sleep"]["seconds"]
    drain = int(defaults.settings()["BLOGROLL_GRACEFUL_TIMEOUT"])
    assert pause > 0
    assert web["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > pause + drain


def test_proxy_stops_after_its_open_requests(defaults: Manifests) -> None:
    proxy = defaults.get("Deployment", "proxy")
    nginx = container(proxy, "nginx")
    pause = nginx["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pause > 0
    assert proxy["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > pause
    assert proxy["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_worker_keeps_its_name_across_restarts(manifests: Manifests) -> None:
    worker = manifests.component("worker")
    # A StatefulSet's pods are RELEASE-worker-0, -1, ... whatever restarts or reschedules them.
    assert worker["kind"] == "StatefulSet"
    process = container(worker, "worker")
    assert process["command"] == ["blogroll", "worker"]
    [name] = [env for env in process["env"] if env["name"] == "BLOGROLL_WORKER_NAME"]
    assert name["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"


def test_worker_probes_read_the_heartbeat_file_it_is_told_to_touch(defaults: Manifests) -> None:
    heartbeat = defaults.settings()["BLOGROLL_WORKER_HEARTBEAT_FILE"]
    worker = container(defaults.component("worker"))
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert heartbeat in " ".join(worker[kind]["exec"]["command"]), kind
    assert any(mount["mountPath"] == "/tmp" for mount in worker["volumeMounts"])
    assert heartbeat.startswith("/tmp/")


def test_each_release_revision_runs_the_migrations_once_in_a_job(manifests: Manifests) -> None:
    [job] = manifests.of_kind("Job")
    # `helm template` renders revision 1; every upgrade's Job gets a new name, so it runs again.
    assert job["metadata"]["name"].endswith("-migrate-1")
    # A plain object, not a hook: `helm install --wait` must not wait on it before the database exists.
    assert not any(key.startswith("helm.sh/hook") for key in job["metadata"].get("annotations", {}))
    assert container(job)["command"] == ["blogroll", "db", "upgrade"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] >= 3


def _pod_hardening_problems(workload: Object) -> list[str]:
    name = workload["metadata"]["name"]
    pod = workload["spec"]["template"]["spec"]
    problems = []
    if pod.get("automountServiceAccountToken") is not False:
        problems.append(f"{name}: service account token mounted")
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(key):
            problems.append(f"{name}: {key}")
    context = pod.get("securityContext", {})
    if context.get("runAsNonRoot") is not True or context.get("runAsUser", 0) == 0:
        problems.append(f"{name}: pod may run as root")
    if context.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{name}: no RuntimeDefault seccomp profile")
    for volume in pod.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            problems.append(f"{name}: volume {volume['name']} is {kinds}")
    for each in containers(workload["spec"]["template"]):
        where = f"{name}/{each['name']}"
        security = each.get("securityContext", {})
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: privilege escalation allowed")
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: writable root filesystem")
        if security.get("capabilities", {}).get("drop") != ["ALL"] or security["capabilities"].get("add"):
            problems.append(f"{where}: capabilities not all dropped")
        if security.get("privileged"):
            problems.append(f"{where}: privileged")
        if security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{where}: no RuntimeDefault seccomp profile")
        resources = each.get("resources", {})
        for bound in ("requests", "limits"):
            if set(resources.get(bound, {})) != {"cpu", "memory"}:
                problems.append(f"{where}: {bound} lacks cpu or memory")
        writable = {m["mountPath"] for m in each.get("volumeMounts", []) if not m.get("readOnly")}
        if "/tmp" not in writable:
            problems.append(f"{where}: no writable /tmp on its read-only root filesystem")
    return problems


def test_every_container_meets_the_restricted_pod_security_standard(manifests: Manifests) -> None:
    problems = [
        problem for workload in manifests.workloads() for problem in _pod_hardening_problems(workload)
    ]
    assert problems == []
    for account in manifests.of_kind("ServiceAccount"):
        assert account["automountServiceAccountToken"] is False


def test_no_pod_gets_service_variables_that_look_like_settings(manifests: Manifests) -> None:
    # Kubernetes would set BLOGROLL_WEB_PORT=tcp://... for a Service named blogroll-web.
    for workload, template in manifests.pod_templates():
        assert template["spec"]["enableServiceLinks"] is False, workload["metadata"]["name"]


def test_the_hardening_check_finds_a_weakened_container(defaults: Manifests) -> None:
    """The check above can fail: a container with its protections removed is reported."""
    web = defaults.get("Deployment", "web")
    weakened = {**web, "spec": {**web["spec"], "template": {**web["spec"]["template"]}}}
    pod = {**weakened["spec"]["template"]["spec"]}
    pod["containers"] = [{**container(web), "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}]
    weakened["spec"]["template"]["spec"] = pod
    assert _pod_hardening_problems(weakened) == [
        "blogroll-web/web: privilege escalation allowed",
        "blogroll-web/web: writable root filesystem",
        "blogroll-web/web: capabilities not all dropped",
        "blogroll-web/web: no RuntimeDefault seccomp profile",
    ]
