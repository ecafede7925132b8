"""The chart rendered once per value set of scripts/test-k8s, shared by every test of the run."""

from __future__ import annotations

import pytest

from tests.helpers.helm_chart import VALUE_SETS, Manifests, render


@pytest.fixture(scope="session")
def rendered_value_sets() -> dict[str, Manifests]:
    return {name: render(*files) for name, files in VALUE_SETS.items()}


@pytest.fixture(params=sorted(VALUE_SETS))
def manifests(request: pytest.FixtureRequest, rendered_value_sets: dict[str, Manifests]) -> Manifests:
    """Each value set in turn: what must hold whatever the values."""
    return rendered_value_sets[request.param]


@pytest.fixture
def defaults(rendered_value_sets: dict[str, Manifests]) -> Manifests:
    return rendered_value_sets["defaults"]


@pytest.fixture
def bundled_database(rendered_value_sets: dict[str, Manifests]) -> Manifests:
    return rendered_value_sets["bundled-database"]


@pytest.fixture
def ingress_autoscaling_tls(rendered_value_sets: dict[str, Manifests]) -> Manifests:
    return rendered_value_sets["ingress-autoscaling-tls"]
