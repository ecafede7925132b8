"""Secrets reach the app as files (the *_FILE settings), never as environment values."""

from __future__ import annotations

import base64
import json
import re
from pathlib import PurePosixPath

import pytest
from sqlalchemy.engine import make_url

from blogroll.config import SECRET_FIELDS, env_name
from tests.helpers.helm_chart import Manifests, RenderError, container, containers, render

pytestmark = pytest.mark.kubernetes


def test_no_container_takes_a_secret_through_its_environment(manifests: Manifests) -> None:
    for workload, template in manifests.pod_templates():
        for each in containers(template):
            where = f"{workload['metadata']['name']}/{each['name']}"
            assert not any("secretRef" in source for source in each.get("envFrom", [])), where
            for env in each.get("env", []):
                assert "secretKeyRef" not in env.get("valueFrom", {}), f"{where}: {env['name']}"
                assert "PASSWORD" not in env["name"] or env["name"].endswith("_FILE"), (
                    f"{where}: {env['name']}"
                )


def test_no_secret_value_appears_outside_its_secret(bundled_database: Manifests) -> None:
    [secret] = bundled_database.of_kind("Secret")
    password = base64.b64decode(secret["data"]["password"]).decode()
    assert len(password) >= 32
    others = [obj for obj in bundled_database.objects if obj is not secret]
    assert password not in json.dumps(others)


@pytest.mark.parametrize("component", ["web", "worker", "migrate"])
def test_every_secret_file_setting_names_a_mounted_secret_file(manifests: Manifests, component: str) -> None:
    workload = manifests.component(component)
    app = container(workload)
    pod = workload["spec"]["template"]["spec"]
    secret_settings = {f"{env_name(field)}_FILE" for field in SECRET_FIELDS}
    file_settings = {name: path for name, path in manifests.settings().items() if name in secret_settings}
    assert file_settings
    for name, path in file_settings.items():
        file = PurePosixPath(path)
        [mount] = [m for m in app["volumeMounts"] if PurePosixPath(m["mountPath"]) == file.parent]
        assert mount["readOnly"] is True
        [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
        assert file.name in [item["path"] for item in volume["secret"]["items"]], name
        # Readable by the app's group (fsGroup), by no one else.
        assert volume["secret"]["defaultMode"] == 0o440


def test_the_bundled_database_url_holds_no_password(bundled_database: Manifests) -> None:
    settings = bundled_database.settings()
    url = make_url(settings["DATABASE_URL"])
    assert url.password is None
    assert url.host == bundled_database.get("Service", "postgresql")["metadata"]["name"]
    postgres = container(bundled_database.component("postgresql"))
    env = {e["name"]: e.get("value") for e in postgres["env"]}
    assert "POSTGRES_PASSWORD" not in env
    assert env["POSTGRES_PASSWORD_FILE"].startswith("/run/secrets/")


def test_an_external_database_url_comes_only_from_its_secret(defaults: Manifests) -> None:
    settings = defaults.settings()
    assert "DATABASE_URL" not in settings
    assert settings["DATABASE_URL_FILE"] == "/run/secrets/blogroll/database-url"
    assert defaults.of_kind("Secret") == []


@pytest.mark.parametrize(
    "name",
    [
        "extraSettings.DATABASE_URL",
        "extraSettings.BLOGROLL_DATABASE_PASSWORD",
        "extraSettings.DATABASE_URL_FILE",
        "settings.BLOGROLL_DATABASE_PASSWORD",
    ],
)
def test_a_secret_given_as_a_plain_setting_is_refused(name: str) -> None:
    with pytest.raises(RenderError, match=re.escape(f"{name}: secrets are not settings")):
        render(settings={name: "postgresql://u:hunter2@db/blogroll"})


def test_without_a_database_secret_the_chart_says_what_to_set() -> None:
    with pytest.raises(
        RenderError, match=r"database\.existingSecret: name the Secret holding the database URL"
    ):
        render(settings={"database.existingSecret": ""})
