"""The optional parts: disruption budgets, the autoscaler, the Ingress with TLS, the metrics Service,
the client's address behind an ingress controller."""

from __future__ import annotations

import re

import pytest

from tests.helpers.helm_chart import Manifests, RenderError, container, container_port, render

pytestmark = pytest.mark.kubernetes


def replicas(manifests: Manifests, component: str) -> int:
    workload = manifests.component(component)
    for hpa in manifests.of_kind("HorizontalPodAutoscaler"):
        if hpa["spec"]["scaleTargetRef"]["name"] == workload["metadata"]["name"]:
            minimum: int = hpa["spec"]["minReplicas"]
            return minimum
    count: int = workload["spec"]["replicas"]
    return count


def test_disruption_budgets_select_existing_pods_and_keep_one_serving(manifests: Manifests) -> None:
    budgets = manifests.of_kind("PodDisruptionBudget")
    assert len(budgets) == 3
    for budget in budgets:
        [workload] = manifests.pods_selected_by(budget["spec"]["selector"]["matchLabels"])
        component = workload["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]
        assert budget["spec"]["maxUnavailable"] == 1
        if component in ("web", "proxy"):
            # With one allowed away, at least one keeps serving through a drain.
            assert replicas(manifests, component) >= 2, component


def test_the_autoscaler_scales_web_which_then_has_no_fixed_replica_count(
    ingress_autoscaling_tls: Manifests,
) -> None:
    [hpa] = ingress_autoscaling_tls.of_kind("HorizontalPodAutoscaler")
    target = hpa["spec"]["scaleTargetRef"]
    web = ingress_autoscaling_tls.get(target["kind"], target["name"])
    assert web is ingress_autoscaling_tls.component("web")
    assert "replicas" not in web["spec"]
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    # CPU utilisation is measured against the request, which must exist.
    assert container(web)["resources"]["requests"]["cpu"]


def test_no_autoscaler_or_ingress_unless_asked(defaults: Manifests) -> None:
    assert defaults.of_kind("HorizontalPodAutoscaler") == []
    assert defaults.of_kind("Ingress") == []


def test_the_ingress_sends_tls_traffic_to_the_proxy(ingress_autoscaling_tls: Manifests) -> None:
    [ingress] = ingress_autoscaling_tls.of_kind("Ingress")
    assert ingress["spec"]["tls"] == [{"secretName": "blogroll-tls", "hosts": ["blogroll.example.org"]}]
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] == "blogroll.example.org"
    [path] = rule["http"]["paths"]
    backend = path["backend"]["service"]
    service = ingress_autoscaling_tls.get("Service", backend["name"])
    assert backend["port"]["name"] in [port["name"] for port in service["spec"]["ports"]]
    assert ingress_autoscaling_tls.pods_selected_by(service["spec"]["selector"]) == [
        ingress_autoscaling_tls.component("proxy")
    ]


def test_behind_an_ingress_nginx_believes_only_its_forwarded_for(ingress_autoscaling_tls: Manifests) -> None:
    config = ingress_autoscaling_tls.get("ConfigMap", "nginx")["data"]
    assert config["real-ip.conf"].split("\n") == [
        "set_real_ip_from 10.0.0.0/8;",
        "real_ip_header X-Forwarded-For;",
        "real_ip_recursive on;",
        "",
    ]
    proxy = ingress_autoscaling_tls.component("proxy")
    [sites] = [v for v in proxy["spec"]["template"]["spec"]["volumes"] if v["name"] == "sites"]
    assert [item["path"] for item in sites["configMap"]["items"]] == ["default.conf", "real-ip.conf"]


def test_metrics_service_names_web_port_metrics_for_a_service_monitor(manifests: Manifests) -> None:
    service = manifests.get("Service", "metrics")
    assert service["metadata"]["labels"]["app.kubernetes.io/component"] == "metrics"
    assert service["metadata"]["annotations"]["prometheus.io/path"] == "/metrics"
    [port] = service["spec"]["ports"]
    assert port["name"] == "metrics"
    [web] = manifests.pods_selected_by(service["spec"]["selector"])
    assert web is manifests.component("web")
    assert container_port(container(web), port["targetPort"]) == port["port"] == 8000


def test_metrics_path_and_service_follow_the_values() -> None:
    moved = render(settings={"metrics.path": "/internal/metrics"})
    assert (
        moved.get("Service", "metrics")["metadata"]["annotations"]["prometheus.io/path"]
        == "/internal/metrics"
    )
    off = render(settings={"metrics.enabled": "false"})
    assert "blogroll-metrics" not in [service["metadata"]["name"] for service in off.of_kind("Service")]


def test_an_image_digest_wins_over_the_tag() -> None:
    digest = "sha256:" + "a" * 64
    pinned = render(settings={"image.digest": digest, "image.tag": "0.1.0"})
    for component in ("web", "worker", "migrate"):
        assert container(pinned.component(component))["image"] == f"blogroll@{digest}"


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"web.replica": "3"}, "Additional property replica is not allowed"),
        ({"image.digest": "latest"}, "image.digest: Does not match pattern"),
        (
            {"networkPolicy.extraDeniedCidrs[0]": "10.0.0.0"},
            "networkPolicy.extraDeniedCidrs.0: Does not match",
        ),
    ],
)
def test_a_mistyped_value_is_refused_with_its_name(setting: dict[str, str], message: str) -> None:
    with pytest.raises(RenderError, match=re.escape(message)):
        render(settings=setting)
