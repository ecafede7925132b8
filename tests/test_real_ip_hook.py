"""deploy/nginx/real-ip.sh, the proxy's start-up hook for BLOGROLL_REAL_IP_FROM: the nginx lines it
writes for the load balancers' addresses, and the values it refuses (the proxy then does not start)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers.compose_stack import ROOT

HOOK = ROOT / "deploy" / "nginx" / "real-ip.sh"


def run_hook(tmp_path: Path, value: str | None) -> tuple[subprocess.CompletedProcess[str], Path]:
    env = {"PATH": "/usr/bin:/bin", "BLOGROLL_NGINX_GENERATED": str(tmp_path / "generated")}
    if value is not None:
        env["BLOGROLL_REAL_IP_FROM"] = value
    result = subprocess.run([str(HOOK)], env=env, capture_output=True, text=True, timeout=30, check=False)
    return result, tmp_path / "generated" / "real-ip.conf"


def test_the_hook_is_executable_so_the_image_runs_it() -> None:
    """The nginx image runs only executable hooks; compose bind-mounts the file with its mode."""
    assert HOOK.stat().st_mode & 0o111


@pytest.mark.parametrize("value", [None, "", " , "])
def test_nothing_is_believed_without_addresses(tmp_path: Path, value: str | None) -> None:
    result, conf = run_hook(tmp_path, value)
    assert result.returncode == 0, result.stderr
    assert not conf.exists()


def test_each_address_or_range_becomes_a_trusted_hop(tmp_path: Path) -> None:
    result, conf = run_hook(tmp_path, "10.0.0.0/8, 192.0.2.7  2001:db8::/32,::1")
    assert result.returncode == 0, result.stderr
    assert conf.read_text().splitlines()[1:] == [
        "set_real_ip_from 10.0.0.0/8;",
        "set_real_ip_from 192.0.2.7;",
        "set_real_ip_from 2001:db8::/32;",
        "set_real_ip_from ::1;",
        "real_ip_header X-Forwarded-For;",
        "real_ip_recursive on;",
    ]
    assert (
        result.stdout == "blogroll: believing X-Forwarded-For from 10.0.0.0/8 192.0.2.7 2001:db8::/32 ::1\n"
    )


@pytest.mark.parametrize(
    "value",
    ["10.0.0.1;return 200", "lb.example.org", "10.0.0.0/8/9", "*", "unix:", "10.0.0.1 all", "/8", "{}"],
)
def test_anything_but_addresses_is_refused_with_a_clear_message(tmp_path: Path, value: str) -> None:
    result, conf = run_hook(tmp_path, f"192.0.2.7 {value}")
    assert result.returncode == 1
    assert "BLOGROLL_REAL_IP_FROM" in result.stderr and "is not an IP address or CIDR range" in result.stderr
    assert not conf.exists()


def test_a_restart_without_the_setting_forgets_the_addresses(tmp_path: Path) -> None:
    assert run_hook(tmp_path, "192.0.2.7")[1].exists()
    result, conf = run_hook(tmp_path, "")
    assert result.returncode == 0 and not conf.exists()
