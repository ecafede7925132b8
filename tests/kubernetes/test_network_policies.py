"""Who may talk to whom: compose.yaml's networks as NetworkPolicies, and the worker's and web's way out
to the internet without the private ranges."""

from __future__ import annotations

import pytest

from tests.helpers.helm_chart import Manifests, Object, egress_allows

pytestmark = pytest.mark.kubernetes

# One address in each range a feed URL must never reach from inside the cluster.
PRIVATE_ADDRESSES = [
    "10.1.2.3",  # private
    "172.16.0.1",  # private
    "172.31.255.254",  # private
    "192.168.1.1",  # private
    "169.254.169.254",  # link-local: cloud metadata services
    "100.64.0.1",  # shared address space (carrier-grade NAT, some clusters' pods)
    "127.0.0.1",  # loopback
    "fd00::1",  # unique local
    "fe80::1",  # link-local
    "::ffff:10.1.2.3",  # IPv4-mapped private
    "64:ff9b::a01:203",  # NAT64 of 10.1.2.3
]
PUBLIC_ADDRESSES = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
FEED_PORTS = [80, 443, 8080]


def policy_for(manifests: Manifests, component: str) -> Object:
    [policy] = [
        policy
        for policy in manifests.of_kind("NetworkPolicy")
        if policy["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/component") == component
    ]
    return policy


def test_every_pod_is_covered_by_a_policy_for_both_directions(manifests: Manifests) -> None:
    covered = []
    for policy in manifests.of_kind("NetworkPolicy"):
        assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        selected = manifests.pods_selected_by(policy["spec"]["podSelector"]["matchLabels"])
        assert len(selected) == 1, policy["metadata"]["name"]
        covered += selected
    assert sorted(w["metadata"]["name"] for w in covered) == sorted(
        w["metadata"]["name"] for w in manifests.workloads()
    )


@pytest.mark.parametrize("component", ["worker", "web"])
def test_feed_fetching_pods_cannot_reach_private_addresses(manifests: Manifests, component: str) -> None:
    policy = policy_for(manifests, component)
    reachable = [
        f"{address} port {port}"
        for address in PRIVATE_ADDRESSES
        for port in FEED_PORTS
        if egress_allows(policy, address, port)
    ]
    assert reachable == []
    for address in PUBLIC_ADDRESSES:
        for port in FEED_PORTS:
            assert egress_allows(policy, address, port), f"{component} cannot reach {address}:{port}"


def test_the_private_range_check_sees_an_open_policy() -> None:
    """The check above can fail: a policy allowing everything reaches the private addresses."""
    open_policy: Object = {"spec": {"egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}}
    assert egress_allows(open_policy, "10.1.2.3", 443)
    assert not egress_allows(open_policy, "fd00::1", 443)


@pytest.mark.parametrize("component", ["worker", "web", "migrate"])
def test_app_pods_reach_dns_and_the_database(manifests: Manifests, component: str) -> None:
    policy = policy_for(manifests, component)
    rules = policy["spec"]["egress"]
    dns = [rule for rule in rules if {"protocol": "UDP", "port": 53} in rule.get("ports", [])]
    assert len(dns) == 1
    assert dns[0]["to"] and all("ipBlock" not in peer for peer in dns[0]["to"])
    database = [rule for rule in rules if {"protocol": "TCP", "port": 5432} in rule.get("ports", [])]
    assert len(database) == 1


def test_external_database_is_reachable_only_where_values_say(ingress_autoscaling_tls: Manifests) -> None:
    worker = policy_for(ingress_autoscaling_tls, "worker")
    assert egress_allows(worker, "10.20.30.40", 5432)
    assert not egress_allows(worker, "10.20.30.41", 5432)
    assert not egress_allows(worker, "10.20.30.40", 22)


def test_without_its_address_the_database_port_is_open_to_any_address(defaults: Manifests) -> None:
    """The documented default: the chart cannot know where an external database is."""
    assert egress_allows(policy_for(defaults, "worker"), "10.9.8.7", 5432)
    assert not egress_allows(policy_for(defaults, "worker"), "10.9.8.7", 5433)


def test_bundled_database_is_reachable_only_from_the_app(bundled_database: Manifests) -> None:
    policy = policy_for(bundled_database, "postgresql")
    [rule] = policy["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 5432}]
    sources = sorted(
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for peer in rule["from"]
    )
    assert sources == ["migrate", "web", "worker"]
    assert all(set(peer) == {"podSelector"} for peer in rule["from"])
    # It reaches nothing itself.
    assert policy["spec"].get("egress", []) == []
    # And the app's pods reach it through a rule that selects its pods.
    [to_database] = [
        rule
        for rule in policy_for(bundled_database, "worker")["spec"]["egress"]
        if {"protocol": "TCP", "port": 5432} in rule.get("ports", [])
    ]
    [peer] = to_database["to"]
    assert bundled_database.pods_selected_by(peer["podSelector"]["matchLabels"]) == [
        bundled_database.component("postgresql")
    ]


def test_proxy_reaches_only_dns_and_web(manifests: Manifests) -> None:
    policy = policy_for(manifests, "proxy")
    assert not any(egress_allows(policy, address, 443) for address in PUBLIC_ADDRESSES + PRIVATE_ADDRESSES)
    [to_web] = [
        rule for rule in policy["spec"]["egress"] if rule["ports"] == [{"protocol": "TCP", "port": 8000}]
    ]
    [peer] = to_web["to"]
    assert manifests.pods_selected_by(peer["podSelector"]["matchLabels"]) == [manifests.component("web")]


def test_web_takes_requests_from_the_proxy_and_the_allowed_scrapers_only(manifests: Manifests) -> None:
    [rule] = policy_for(manifests, "web")["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8000}]
    proxies = [peer for peer in rule["from"] if "podSelector" in peer and "namespaceSelector" not in peer]
    assert [manifests.pods_selected_by(p["podSelector"]["matchLabels"]) for p in proxies] == [
        [manifests.component("proxy")]
    ]


def test_worker_and_migrations_take_no_connections(manifests: Manifests) -> None:
    for component in ("worker", "migrate"):
        assert policy_for(manifests, component)["spec"].get("ingress", []) == []
